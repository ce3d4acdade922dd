#include "store/mail_store.h"

namespace posthouse::store {

std::vector<FolderSpec> default_folders() {
  return {{"INBOX", "", true},        {"Sent", "\\Sent", true}, {"Drafts", "\\Drafts", true},
          {"Trash", "\\Trash", true}, {"Junk", "\\Junk", true}, {"Archive", "\\Archive", true}};
}

}  // namespace posthouse::store
