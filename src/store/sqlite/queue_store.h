// SqliteQueueStore: the outbound queue (store/queue_store.h) in posthouse.db (tables
// queue_messages, queue_recipients; migrations 0032, 0060, 0061).
// One object per connection; it does not own the Db, which must outlive it.
#pragma once

#include "store/queue_store.h"
#include "store/sqlite/db.h"

namespace posthouse::store::sqlite {

class SqliteQueueStore final : public QueueStore {
 public:
  explicit SqliteQueueStore(Db& db) : db_(db) {}

  base::Result<std::string> enqueue(const NewMessage& m, int64_t now) override;
  base::Result<std::vector<QueuedMessage>> list(int limit) override;
  base::Result<std::vector<QueuedMessage>> list_page(const ListFilter& filter) override;
  base::Result<QueuedMessage> get(std::string_view queue_id) override;
  base::Result<std::string> body(std::string_view queue_id) override;
  base::Result<int64_t> count(RecipientState s) override;
  base::Result<std::vector<Claim>> claim_due(int64_t now, int limit) override;
  base::Status record(const std::vector<Outcome>& outcomes, int64_t now) override;
  base::Status release(const std::vector<int64_t>& recipient_ids) override;
  base::Result<std::vector<int64_t>> mark_delay_warned(const std::vector<int64_t>& recipient_ids) override;
  base::Status unmark_delay_warned(const std::vector<int64_t>& recipient_ids) override;
  base::Result<int> recover(int64_t now) override;
  base::Status retry(std::string_view queue_id, int64_t now) override;
  base::Status remove(std::string_view queue_id) override;
  base::Status retry_in_transaction(std::string_view queue_id, int64_t now) override;
  base::Status remove_in_transaction(std::string_view queue_id) override;
  base::Result<int> purge_finished(int64_t before) override;

 private:
  base::Status load_recipients(QueuedMessage& m);

  Db& db_;
};

}  // namespace posthouse::store::sqlite
