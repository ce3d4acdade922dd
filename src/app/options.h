// The composition root's translations of the config file into each part's options: one
// function per part, pure (no I/O), so `serve`, the CLI and tests build parts the same way.
#pragma once

#include "antispam/sender_checks.h"
#include "auth/password.h"
#include "base/result.h"
#include "config/config.h"
#include "delivery/local_gateway.h"
#include "directory/service.h"
#include "net/server.h"
#include "queue/runner.h"
#include "server/imap/imap_server.h"
#include "server/pop3/pop3_server.h"
#include "server/smtp/smtp_server.h"

namespace posthouse::app {

// [directory] keys.
auth::PasswordOptions password_options(const config::Config& cfg);
directory::Options directory_options(const config::Config& cfg);
// [outbound]; kInvalid for a bad relay or an unreadable tls_ca_file.
base::Result<queue::RunnerOptions> runner_options(const config::Config& cfg);
// Where SMTP sessions spool messages being received: <data_dir>/spool.
std::string spool_dir(const config::Config& cfg);
server::smtp::Options smtp_options(const config::Config& cfg, server::smtp::Mode mode);
// The Authentication-Results id: [antispam] authserv_id, else [server] hostname.
std::string authserv_id(const config::Config& cfg);
// What the local gateway needs: the host name, native greylisting ([antispam] greylist_*)
// unless rspamd is set (rspamd greylists itself), the ARC seal of forwarded mail ([antispam]
// arc_seal with [outbound] dkim_selector's keys).
delivery::GatewayOptions gateway_options(const config::Config& cfg);
// The inbound sender checks of the MX ([antispam]) and its DNS lists ([[antispam.dnsbl]]);
// nullptr when `checks` is off and no list is set. A Public Suffix List that cannot be read
// is an error at start.
// report_sink: where DMARC aggregate report data goes ([antispam] dmarc_report_flush_seconds);
// null: not collected.
base::Result<std::shared_ptr<antispam::SenderChecks>> sender_checks(
    const config::Config& cfg, antispam::DmarcReportLog::Sink report_sink = nullptr);
// The MX's clamd and rspamd clients ([antispam] clamd, rspamd); nullptr when neither is set.
// A malformed rspamd URL is kInvalid naming the key. Pure: no daemon is contacted.
base::Result<std::shared_ptr<const antispam::ContentScanners>> content_scanners(
    const config::Config& cfg);
// The FCrDNS lookups shared by the SMTP listeners ([smtp] rdns_timeout_ms, the resolver of
// [outbound]); null when switched off.
std::shared_ptr<server::smtp::ClientNames> client_names(const config::Config& cfg);
// The learner IMAP moves into and out of Junk feed ([antispam] rspamd_controller); nullptr
// when no controller is set. Not pure: it reads rspamd_password_file (an unreadable or empty
// one is kInvalid naming the key, without its content).
base::Result<std::shared_ptr<antispam::SpamLearner>> spam_learner(const config::Config& cfg);
server::pop3::Options pop3_options(const config::Config& cfg);
server::imap::Options imap_options(const config::Config& cfg);
// [server] threads and [limits].
net::ServerOptions server_options(const config::Config& cfg);

}  // namespace posthouse::app
