#include <array>
#include <string>

#include "server/imap/commands/commands.h"
#include "server/imap/session.h"

namespace posthouse::server::imap {

using K = ::posthouse::imap::CommandKind;

const CommandSpec& command_spec(K kind) {
  static const auto table = [] {
    std::array<CommandSpec, static_cast<size_t>(K::kCompress) + 1> t{};
    auto set = [&](K k, Handler h, State s, bool only_unauth = false) {
      t[static_cast<size_t>(k)] = CommandSpec{h, s, only_unauth};
    };
    const State any = State::kNotAuthenticated, auth = State::kAuthenticated,
                sel = State::kSelected;
    set(K::kCapability, cmd_capability, any);
    set(K::kNoop, cmd_noop, any);
    set(K::kLogout, cmd_logout, any);
    set(K::kId, cmd_id, any);
    set(K::kStartTls, cmd_starttls, any, true);
    set(K::kAuthenticate, cmd_authenticate, any, true);
    set(K::kLogin, cmd_login, any, true);
    set(K::kEnable, cmd_enable, auth);
    set(K::kSelect, cmd_select, auth);
    set(K::kExamine, cmd_select, auth);
    set(K::kCreate, cmd_create, auth);
    set(K::kDelete, cmd_delete, auth);
    set(K::kRename, cmd_rename, auth);
    set(K::kSubscribe, cmd_subscribe, auth);
    set(K::kUnsubscribe, cmd_subscribe, auth);
    set(K::kList, cmd_list, auth);
    set(K::kLsub, cmd_list, auth);
    set(K::kNamespace, cmd_namespace, auth);
    set(K::kStatus, cmd_status, auth);
    set(K::kAppend, cmd_append, auth);
    set(K::kIdle, cmd_idle, auth);
    set(K::kGetQuota, cmd_quota, auth);
    set(K::kGetQuotaRoot, cmd_quota, auth);
    set(K::kSetQuota, cmd_quota, auth);
    set(K::kCheck, cmd_check, sel);
    set(K::kClose, cmd_close, sel);
    set(K::kUnselect, cmd_close, sel);
    set(K::kExpunge, cmd_expunge, sel);
    set(K::kSearch, cmd_search, sel);
    set(K::kFetch, cmd_fetch, sel);
    set(K::kStore, cmd_store, sel);
    set(K::kCopy, cmd_copy, sel);
    set(K::kMove, cmd_copy, sel);
    set(K::kSort, cmd_sort, sel);
    set(K::kThread, cmd_thread, sel);
    set(K::kReplace, cmd_replace, sel);
    set(K::kCompress, cmd_compress, auth);
    return t;
  }();
  return table[static_cast<size_t>(kind)];
}

std::string capabilities(const Session& s) {
  std::string c = "IMAP4rev1 IMAP4rev2";
  bool tls_ok = s.conn_->is_tls() || s.o_.allow_plaintext_auth;
  if (s.state_ == State::kNotAuthenticated) {
    if (!s.conn_->is_tls() && s.conn_->tls_available()) c += " STARTTLS";
    c += tls_ok ? " AUTH=PLAIN SASL-IR" : " LOGINDISABLED";
  }
  c += s.o_.literal_plus ? " LITERAL+" : " LITERAL-";
  c += " ID ENABLE IDLE NAMESPACE UNSELECT CHILDREN SPECIAL-USE CREATE-SPECIAL-USE"
       " LIST-EXTENDED LIST-STATUS UIDPLUS MOVE ESEARCH SEARCHRES CONDSTORE QRESYNC QUOTA"
       " QUOTA=RES-STORAGE QUOTA=RES-MESSAGE SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES"
       " BINARY UTF8=ACCEPT STATUS=SIZE WITHIN OBJECTID MULTIAPPEND REPLACE PREVIEW SAVEDATE"
       " UIDONLY";
  if (!s.conn_->compressing()) c += " COMPRESS=DEFLATE";
  c += " APPENDLIMIT=" + std::to_string(s.o_.append_limit);
  return c;
}

}  // namespace posthouse::server::imap
