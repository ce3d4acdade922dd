#include "mime/message.h"

#include <fmt/format.h>

#include <cstring>
#include <memory>

#include "base/strings.h"
#include "mime/header.h"
#include "mime/subject.h"

namespace posthouse::mime {
namespace {

struct Part {
  size_t hdr_off = 0, hdr_len = 0, body_off = 0, body_len = 0;
  ContentType ct;  // type/subtype always set (defaults applied)
  bool ct_given = false;
  std::optional<std::string> id, description, encoding, md5, location, language;
  std::optional<Disposition> disposition;
  std::vector<std::unique_ptr<Part>> children;  // multipart
  std::unique_ptr<Part> message;                // message/rfc822: the encapsulated message
  std::string envelope;                         // set on message roots
  bool multipart = false;
};

// Where a body scan stopped: at a boundary line of stack level `level` (or -1 at the end).
struct Stop {
  int level = -1;
  bool close = false;
  size_t line_start = 0;
  size_t next = 0;  // first byte after the boundary line
};

bool is_message_type(const ContentType& ct) {
  return ct.type == "message" && (ct.subtype == "rfc822" || ct.subtype == "global");
}

size_t count_lines(std::string_view s) {
  size_t n = 0;
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    const void* q = std::memchr(p, '\n', end - p);
    if (q == nullptr) break;
    ++n;
    p = static_cast<const char*>(q) + 1;
  }
  if (!s.empty() && s.back() != '\n') ++n;
  return n;
}

class Parser {
 public:
  Parser(std::string_view buf, const Limits& lim) : b_(buf), lim_(lim) {}

  std::unique_ptr<Part> run(std::vector<HeaderField>* top_fields) {
    auto root = std::make_unique<Part>();
    parse_entity(*root, 0, 0, false, top_fields);
    return root;
  }
  bool truncated() const { return truncated_; }

 private:
  size_t line_end(size_t p) const {
    const void* q = std::memchr(b_.data() + p, '\n', b_.size() - p);
    return q == nullptr ? b_.size() : static_cast<const char*>(q) - b_.data() + 1;
  }

  // Is [p, e) a boundary line of an enclosing multipart? Innermost first, as RFC 2046 asks
  // inner boundaries never to be prefixes of outer ones, but real mail does not always obey.
  int match_boundary(size_t p, size_t e, bool* close) const {
    if (bounds_.empty() || e - p < 3 || b_[p] != '-' || b_[p + 1] != '-') return -1;
    std::string_view line = b_.substr(p, e - p);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ' ||
                             line.back() == '\t'))
      line.remove_suffix(1);
    for (int i = static_cast<int>(bounds_.size()) - 1; i >= 0; --i) {
      const std::string& bd = bounds_[i];
      if (line.size() < bd.size() || line.compare(0, bd.size(), bd) != 0) continue;
      std::string_view rest = line.substr(bd.size());
      if (rest.empty()) {
        *close = false;
        return i;
      }
      if (rest.size() >= 2 && rest[0] == '-' && rest[1] == '-') {
        *close = true;
        return i;
      }
    }
    return -1;
  }

  Stop scan_to_boundary(size_t p) const {
    Stop s;
    if (bounds_.empty()) {
      s.line_start = s.next = b_.size();
      return s;
    }
    while (p < b_.size()) {
      size_t e = line_end(p);
      bool close = false;
      int lvl = match_boundary(p, e, &close);
      if (lvl >= 0) {
        s.level = lvl;
        s.close = close;
        s.line_start = p;
        s.next = e;
        return s;
      }
      p = e;
    }
    s.line_start = s.next = b_.size();
    return s;
  }

  // Header block from p: ends after the empty line, before a boundary line, or at the end.
  size_t parse_header(size_t p, std::vector<HeaderField>* fields) {
    size_t value_bytes = 0;
    while (p < b_.size()) {
      size_t e = line_end(p);
      std::string_view line = b_.substr(p, e - p);
      if (line == "\r\n" || line == "\n") return e;
      bool close = false;
      if (match_boundary(p, e, &close) >= 0) return p;
      if ((line[0] == ' ' || line[0] == '\t')) {
        if (!fields->empty() && value_bytes < lim_.max_header_value) {
          auto& last = fields->back();
          size_t cut = std::min(e, last.raw.data() - b_.data() + lim_.max_header_value);
          last.raw = b_.substr(last.raw.data() - b_.data(), cut - (last.raw.data() - b_.data()));
          value_bytes = last.raw.size();
        }
        p = e;
        continue;
      }
      size_t colon = line.find(':');
      std::string_view name =
          colon == std::string_view::npos ? std::string_view() : base::trim(line.substr(0, colon));
      bool valid = !name.empty();
      for (char c : name) {
        if (static_cast<unsigned char>(c) <= 32 || static_cast<unsigned char>(c) >= 127)
          valid = false;
      }
      if (valid) {
        if (fields->size() < lim_.max_headers) {
          size_t vstart = p + colon + 1;
          size_t vend = std::min(e, vstart + lim_.max_header_value);
          fields->push_back({name, b_.substr(vstart, vend - vstart)});
          value_bytes = vend - vstart;
        } else {
          truncated_ = true;
          value_bytes = lim_.max_header_value;  // ignore its continuation lines too
        }
      }
      p = e;
    }
    return p;
  }

  void apply_headers(Part& part, const std::vector<HeaderField>& fields, bool digest_child) {
    for (const auto& f : fields) {
      if (!base::istarts_with(f.name, "content-")) continue;
      std::string_view n = f.name.substr(8);
      if (base::iequals(n, "type")) {
        if (part.ct_given) continue;
        ContentType ct = parse_content_type(unfold(f.raw));
        if (!ct.type.empty()) {
          part.ct = std::move(ct);
          part.ct_given = true;
        }
      } else if (base::iequals(n, "transfer-encoding")) {
        if (!part.encoding) part.encoding = base::to_lower(unfold(f.raw));
      } else if (base::iequals(n, "id")) {
        if (!part.id) part.id = unfold(f.raw);
      } else if (base::iequals(n, "description")) {
        if (!part.description) part.description = unfold(f.raw);
      } else if (base::iequals(n, "md5")) {
        if (!part.md5) part.md5 = unfold(f.raw);
      } else if (base::iequals(n, "location")) {
        if (!part.location) part.location = unfold(f.raw);
      } else if (base::iequals(n, "language")) {
        if (!part.language) part.language = unfold(f.raw);
      } else if (base::iequals(n, "disposition")) {
        if (!part.disposition) {
          Disposition d = parse_disposition(unfold(f.raw));
          if (!d.value.empty()) part.disposition = std::move(d);
        }
      }
    }
    if (!part.ct_given) {
      if (digest_child) {
        part.ct.type = "message";
        part.ct.subtype = "rfc822";
      } else {
        part.ct.type = "text";
        part.ct.subtype = "plain";
        part.ct.params = {{"charset", "US-ASCII"}};
      }
    }
  }

  Stop parse_entity(Part& part, size_t p, size_t depth, bool digest_child,
                    std::vector<HeaderField>* keep_fields) {
    std::vector<HeaderField> fields;
    part.hdr_off = p;
    size_t body = parse_header(p, &fields);
    part.hdr_len = body - p;
    part.body_off = body;
    apply_headers(part, fields, digest_child);
    Stop stop;
    bool nest_ok = depth < lim_.max_depth && parts_ < lim_.max_parts;
    if (part.ct.type == "multipart") {
      auto boundary = find_param(part.ct.params, "boundary");
      part.multipart = true;
      if (nest_ok && boundary && !boundary->empty() && boundary->size() <= 200) {
        stop = parse_multipart(part, body, depth, *boundary);
      } else {
        if (!nest_ok) {
          degrade(part);
        }
        stop = scan_to_boundary(body);
      }
    } else if (is_message_type(part.ct) && nest_ok) {
      part.message = std::make_unique<Part>();
      ++parts_;
      std::vector<HeaderField> inner;
      stop = parse_entity(*part.message, body, depth + 1, false, &inner);
      part.message->envelope = build_envelope(inner);
    } else {
      if (is_message_type(part.ct)) degrade(part);
      stop = scan_to_boundary(body);
    }
    size_t end = stop.level < 0 ? b_.size() : stop.line_start;
    // The line break before a boundary belongs to the boundary (RFC 2046 section 5.1.1).
    if (stop.level >= 0 && end > body && b_[end - 1] == '\n') --end;
    if (stop.level >= 0 && end > body && b_[end - 1] == '\r') --end;
    part.body_len = end - body;
    if (keep_fields != nullptr) *keep_fields = std::move(fields);
    return stop;
  }

  // A multipart or message nested beyond the limits is described as an opaque leaf, which
  // keeps BODYSTRUCTURE well-formed (a multipart must have parts; a message an envelope).
  void degrade(Part& part) {
    truncated_ = true;
    part.multipart = false;
    part.ct.type = "application";
    part.ct.subtype = "octet-stream";
    part.ct.params.clear();
  }

  Stop parse_multipart(Part& part, size_t body, size_t depth, const std::string& boundary) {
    size_t my = bounds_.size();
    bounds_.push_back("--" + boundary);
    bool digest = part.ct.subtype == "digest";
    Stop s = scan_to_boundary(body);  // preamble
    while (s.level == static_cast<int>(my) && !s.close) {
      if (parts_ >= lim_.max_parts) {
        truncated_ = true;
        s = scan_to_boundary(s.next);
        continue;
      }
      auto child = std::make_unique<Part>();
      ++parts_;
      s = parse_entity(*child, s.next, depth + 1, digest, nullptr);
      part.children.push_back(std::move(child));
    }
    if (s.level == static_cast<int>(my) && s.close) {
      bounds_.resize(my);
      s = scan_to_boundary(s.next);  // epilogue, up to an outer boundary or the end
      return s;
    }
    bounds_.resize(my);  // unterminated: an outer boundary or the end closes it
    return s;
  }

 public:
  static std::string build_envelope(const std::vector<HeaderField>& fields) {
    std::string out = "(";
    auto text = [&](std::string_view name) { append_nstring(out, find_field(fields, name)); };
    auto addresses = [&](std::optional<std::string> v) {
      std::vector<Address> list;
      if (v) list = parse_address_list(*v);
      if (list.empty()) {
        out += "NIL";
        return;
      }
      out += '(';
      for (const auto& a : list) {
        out += '(';
        append_nstring(out, a.name);
        out += ' ';
        append_nstring(out, a.adl);
        out += ' ';
        append_nstring(out, a.mailbox);
        out += ' ';
        append_nstring(out, a.host);
        out += ')';
      }
      out += ')';
    };
    text("date");
    out += ' ';
    text("subject");
    out += ' ';
    auto from = find_field(fields, "from");
    addresses(from);
    // RFC 3501: absent or empty Sender and Reply-To take the value of From.
    for (std::string_view name : {"sender", "reply-to"}) {
      out += ' ';
      auto v = find_field(fields, name);
      if (!v || parse_address_list(*v).empty()) v = from;
      addresses(v);
    }
    for (std::string_view name : {"to", "cc", "bcc"}) {
      out += ' ';
      addresses(find_field(fields, name));
    }
    out += ' ';
    text("in-reply-to");
    out += ' ';
    text("message-id");
    out += ')';
    return out;
  }

 private:
  std::string_view b_;
  const Limits& lim_;
  std::vector<std::string> bounds_;
  size_t parts_ = 0;
  bool truncated_ = false;
};

void append_params(std::string& out, const Params& params) {
  if (params.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  bool first = true;
  for (const auto& [k, v] : params) {
    if (!first) out += ' ';
    first = false;
    append_upper_string(out, k);
    out += ' ';
    append_string(out, v);
  }
  out += ')';
}

void append_ext_common(std::string& out, const Part& p) {
  out += ' ';
  if (p.disposition) {
    out += '(';
    append_upper_string(out, p.disposition->value);
    out += ' ';
    append_params(out, p.disposition->params);
    out += ')';
  } else {
    out += "NIL";
  }
  out += ' ';
  if (p.language) {
    std::vector<std::string> langs;
    for (auto l : base::split(*p.language, ',')) {
      auto t = base::trim(l);
      if (!t.empty() && langs.size() < 32) langs.emplace_back(t);
    }
    if (langs.empty()) {
      out += "NIL";
    } else if (langs.size() == 1) {
      append_string(out, langs[0]);
    } else {
      out += '(';
      for (size_t i = 0; i < langs.size(); ++i) {
        if (i) out += ' ';
        append_string(out, langs[i]);
      }
      out += ')';
    }
  } else {
    out += "NIL";
  }
  out += ' ';
  append_nstring(out, p.location);
}

void write_structure(std::string& out, std::string_view raw, const Part& p, bool ext) {
  if (p.multipart) {
    out += '(';
    if (p.children.empty()) {
      // A multipart must have a part (RFC 3501 grammar): describe an empty text/plain one.
      out += ext ? "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0 NIL NIL "
                   "NIL NIL)"
                 : "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)";
    }
    for (const auto& c : p.children) write_structure(out, raw, *c, ext);
    out += ' ';
    append_upper_string(out, p.ct.subtype);
    if (ext) {
      out += ' ';
      append_params(out, p.ct.params);
      append_ext_common(out, p);
    }
    out += ')';
    return;
  }
  out += '(';
  append_upper_string(out, p.ct.type);
  out += ' ';
  append_upper_string(out, p.ct.subtype);
  out += ' ';
  if (p.ct.params.empty() && p.ct.type == "text") {
    out += "(\"CHARSET\" \"US-ASCII\")";
  } else {
    append_params(out, p.ct.params);
  }
  out += ' ';
  append_nstring(out, p.id);
  out += ' ';
  append_nstring(out, p.description);
  out += ' ';
  if (p.encoding && !p.encoding->empty()) {
    append_upper_string(out, *p.encoding);
  } else {
    out += "\"7BIT\"";
  }
  fmt::format_to(std::back_inserter(out), " {}", p.body_len);
  std::string_view body = raw.substr(p.body_off, p.body_len);
  if (p.message) {
    out += ' ';
    out += p.message->envelope;
    out += ' ';
    write_structure(out, raw, *p.message, ext);
    fmt::format_to(std::back_inserter(out), " {}", count_lines(body));
  } else if (p.ct.type == "text") {
    fmt::format_to(std::back_inserter(out), " {}", count_lines(body));
  }
  if (ext) {
    out += ' ';
    append_nstring(out, p.md5);
    append_ext_common(out, p);
  }
  out += ')';
}

PartEntry entry_for(const Part& p, std::string section) {
  PartEntry e;
  e.section = std::move(section);
  e.header = {p.hdr_off, p.hdr_len};
  e.body = {p.body_off, p.body_len};
  // Stored forms (part_token): the map read back from the database must equal this one.
  e.media = part_token(p.ct.type + "/" + p.ct.subtype);
  e.encoding = part_token(p.encoding.value_or("7bit"));
  e.charset = part_token(find_param(p.ct.params, "charset").value_or(""));
  if (p.message) {
    e.is_message = true;
    e.msg_header = {p.message->hdr_off, p.message->hdr_len};
    e.msg_body = {p.message->body_off, p.message->body_len};
  }
  return e;
}

void add_entity(PartMap& pm, const Part& p, const std::string& section);

// The parts of message root `m`, numbered under `prefix` ("" or "2.").
void add_message_children(PartMap& pm, const Part& m, const std::string& prefix) {
  if (m.multipart) {
    for (size_t i = 0; i < m.children.size(); ++i) {
      add_entity(pm, *m.children[i], prefix + std::to_string(i + 1));
    }
    if (m.children.empty()) {
      // The synthesised empty part of write_structure(), so section 1 resolves consistently.
      PartEntry e;
      e.section = prefix + "1";
      e.header = e.body = {m.body_off, 0};
      e.media = "text/plain";
      e.encoding = "7bit";
      e.charset = "us-ascii";
      pm.entries().push_back(std::move(e));
    }
  } else {
    add_entity(pm, m, prefix + "1");
  }
}

void add_entity(PartMap& pm, const Part& p, const std::string& section) {
  pm.entries().push_back(entry_for(p, section));
  if (p.multipart) {
    for (size_t i = 0; i < p.children.size(); ++i) {
      add_entity(pm, *p.children[i], section + "." + std::to_string(i + 1));
    }
  } else if (p.message) {
    add_message_children(pm, *p.message, section + ".");
  }
}

std::string sort_address(const std::optional<std::string>& v) {
  if (!v) return {};
  for (const auto& a : parse_address_list(decode_text(*v), 8)) {
    if (a.kind == Address::Kind::kMailbox && a.mailbox) return base::to_lower(*a.mailbox);
  }
  return {};
}

}  // namespace

ParsedMessage parse(std::string_view raw, const Limits& limits) {
  ParsedMessage out;
  std::vector<HeaderField> top;
  Parser parser(raw, limits);
  auto root = parser.run(&top);
  root->envelope = Parser::build_envelope(top);
  out.envelope = root->envelope;
  write_structure(out.bodystructure, raw, *root, true);
  write_structure(out.body, raw, *root, false);
  PartEntry whole = entry_for(*root, "");
  whole.is_message = true;
  whole.msg_header = whole.header;
  whole.msg_body = whole.body;
  out.parts.entries().push_back(std::move(whole));
  add_message_children(out.parts, *root, "");
  out.header_size = root->hdr_len;
  out.size = raw.size();
  out.truncated = parser.truncated();

  HeaderSummary& h = out.headers;
  auto get = [&](std::string_view n) { return find_field(top, n); };
  if (auto s = get("subject")) {
    h.subject = decode_text(*s);
    h.base_subject = extract_base_subject(h.subject).text;
  }
  auto from = get("from"), to = get("to"), cc = get("cc"), bcc = get("bcc");
  h.from = from ? decode_text(*from) : "";
  h.to = to ? decode_text(*to) : "";
  h.cc = cc ? decode_text(*cc) : "";
  h.bcc = bcc ? decode_text(*bcc) : "";
  h.sort_from = sort_address(from);
  h.sort_to = sort_address(to);
  h.sort_cc = sort_address(cc);
  if (auto v = get("message-id")) {
    auto ids = parse_msg_ids(*v, 1);
    if (!ids.empty()) h.message_id = ids[0];
  }
  if (auto v = get("in-reply-to")) {
    auto ids = parse_msg_ids(*v, 1);
    if (!ids.empty()) h.in_reply_to = ids[0];
  }
  if (auto v = get("references")) h.references = parse_msg_ids(*v);
  if (auto v = get("date")) h.date = parse_date(*v);
  return out;
}

}  // namespace posthouse::mime
