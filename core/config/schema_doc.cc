// Printing the schema: Markdown tables for docs/config.md and a plain list
// for `gantry config-keys`. The prose around the tables in docs/config.md is
// written by hand; only the text between the marker comments comes from here.
#include "config/schema_doc.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gantry::config::schema {
namespace {

constexpr std::string_view kBegin = "<!-- config-keys: ";
constexpr std::string_view kEnd = "<!-- /config-keys -->";

const char* type_name(Type t) {
  switch (t) {
    case Type::kBool:
      return "boolean";
    case Type::kInt:
      return "integer";
    case Type::kString:
      return "string";
    case Type::kEnum:
      return "string";
    case Type::kPath:
      return "path";
    case Type::kDuration:
      return "duration";
    case Type::kSize:
      return "size";
    case Type::kAddress:
      return "address";
    case Type::kTable:
      return "table";
    case Type::kArray:
      return "array";
    case Type::kTables:
      return "array of tables";
  }
  return "?";
}

std::string range_text(const Spec& s) {
  const Range& r = s.range;
  switch (s.type) {
    case Type::kInt:
    case Type::kDuration:
    case Type::kSize:
      return bound(s.type, r.lo) + ".." + bound(s.type, r.hi);
    case Type::kEnum: {
      std::string out;
      for (std::string_view c : s.choices)
        out += (out.empty() ? "`" : ", `") + std::string(c) + "`";
      return out;
    }
    case Type::kString:
    case Type::kPath:
      if (r.hi != kNoLimit) return std::to_string(r.lo) + ".." + std::to_string(r.hi) + " bytes";
      return r.lo == 1 ? "non-empty" : "";
    case Type::kAddress:
      return "port " + std::to_string(r.lo) + ".." + std::to_string(r.hi);
    case Type::kArray:
      return r.lo > 0 ? "at least " + std::to_string(r.lo) + " entry" : "";
    default:
      return "";
  }
}

std::string default_text(const Default& d) {
  switch (d.kind) {
    case Default::kRequired:
      return "required";
    case Default::kLiteral:
      return "`" + std::string(d.text) + "`";
    case Default::kProse:
      return std::string(d.text);
    case Default::kNone:
      break;
  }
  return "—";
}

// The row for the keys a table takes besides its own.
std::string extra_row(const TableDoc& t) {
  if (t.extra == Extra::kModuleTables) {
    return "| `<module>` | table | — |  | A table named after a `[[module]]`: that module's keys "
           "of scope `" +
           std::string(t.id) + "`. |\n";
  }
  if (t.extra == Extra::kProviderKeys) {
    return "| other keys |  |  |  | The provider's keys of scope `transport` (certificates, CA "
           "file, ALPN, ...). |\n";
  }
  return "";
}

std::string cell(std::string s) {
  for (size_t at = s.find('|'); at != std::string::npos; at = s.find('|', at + 2)) {
    s.insert(at, "\\");
  }
  return s;
}

const TableDoc* find_table(const std::vector<TableDoc>& all, std::string_view id) {
  for (const TableDoc& t : all) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

bool read_file(const char* path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string without_backticks(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '`'), s.end());
  return s;
}

// Two lines per key, its full path first: what `gantry config-keys` prints.
//   timeouts.client_head  duration, 0..24h, default "10s"
//       From a request's first byte to the end of its head ...
void print_plain(FILE* out) {
  for (const TableDoc& t : all_tables()) {
    for (const Spec& k : t.keys) {
      std::string path(k.name);
      if (t.id != "top") path = std::string(t.id) + "." + path;
      std::string about = type_name(k.type);
      std::string range = range_text(k);
      if (!range.empty()) about += ", " + range;
      if (k.def.kind == Default::kRequired) about += ", required";
      if (k.def.kind == Default::kLiteral || k.def.kind == Default::kProse) {
        about += ", default " + std::string(k.def.text);
      }
      std::fprintf(out, "%s  %s\n    %s\n", path.c_str(), without_backticks(about).c_str(),
                   without_backticks(std::string(k.doc)).c_str());
    }
  }
}

}  // namespace

std::string markdown_block(const TableDoc& t) {
  std::string out = std::string(kBegin) + std::string(t.id) + " -->\n";
  out += "| Key | Type | Default | Range | Meaning |\n";
  out += "|-----|------|---------|-------|---------|\n";
  for (const Spec& k : t.keys) {
    out += "| `" + std::string(k.name) + "` | " + type_name(k.type) + " | " +
           cell(default_text(k.def)) + " | " + cell(range_text(k)) + " | " +
           cell(std::string(k.doc)) + " |\n";
  }
  out += extra_row(t);
  out += std::string(kEnd) + "\n";
  return out;
}

bool splice_markdown(const std::string& doc, std::string* out, std::string* why) {
  std::vector<TableDoc> all = all_tables();
  std::vector<std::string_view> seen;
  std::string result;
  size_t at = 0;
  for (size_t begin = doc.find(kBegin); begin != std::string::npos; begin = doc.find(kBegin, at)) {
    size_t id_end = doc.find(" -->", begin);
    size_t end = doc.find(kEnd, begin);
    if (id_end == std::string::npos || end == std::string::npos) {
      *why = "a config-keys marker has no end marker";
      return false;
    }
    std::string id = doc.substr(begin + kBegin.size(), id_end - begin - kBegin.size());
    const TableDoc* t = find_table(all, id);
    if (t == nullptr) {
      *why = "no schema table is named \"" + id + "\"";
      return false;
    }
    seen.push_back(t->id);
    result += doc.substr(at, begin - at);
    result += markdown_block(*t);
    at = end + kEnd.size();
    if (at < doc.size() && doc[at] == '\n') ++at;
  }
  result += doc.substr(at);
  for (const TableDoc& t : all) {
    bool found = false;
    for (std::string_view id : seen) found = found || id == t.id;
    if (!found) {
      *why = "no block for schema table \"" + std::string(t.id) + "\" (add " + std::string(kBegin) +
             std::string(t.id) + " --> and " + std::string(kEnd) + ")";
      return false;
    }
  }
  *out = std::move(result);
  return true;
}

int config_keys_cli(int argc, char** argv, FILE* out, FILE* err) {
  if (argc == 1) {
    print_plain(out);
    return 0;
  }
  if (std::strcmp(argv[1], "--markdown") != 0 || argc > 3) {
    std::fprintf(err, "usage: gantry config-keys [--markdown [FILE]]\n");
    return 2;
  }
  if (argc == 2) {
    for (const TableDoc& t : all_tables()) std::fprintf(out, "%s\n", markdown_block(t).c_str());
    return 0;
  }
  std::string doc;
  std::string spliced;
  std::string why;
  if (!read_file(argv[2], &doc)) {
    std::fprintf(err, "gantry: cannot read %s\n", argv[2]);
    return 1;
  }
  if (!splice_markdown(doc, &spliced, &why)) {
    std::fprintf(err, "gantry: %s: %s\n", argv[2], why.c_str());
    return 1;
  }
  std::fputs(spliced.c_str(), out);
  return 0;
}

}  // namespace gantry::config::schema
