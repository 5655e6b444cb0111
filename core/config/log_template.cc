#include "config/log_template.h"

namespace gantry::config {
namespace {

constexpr std::string_view kNames[] = {
    "time",      "client",     "method",    "target",  "protocol",    "status",  "bytes_in",
    "bytes_out", "backend",    "server",    "t_head",  "t_connect",   "t_response",
    "t_total",   "termination", "retries",  "upgraded", "reused",     "notes"};
static_assert(sizeof kNames / sizeof kNames[0] == static_cast<size_t>(LogField::kNotes) + 1,
              "kNames follows the order of LogField");

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool find_field(std::string_view name, LogField* out) {
  for (size_t i = 0; i < sizeof kNames / sizeof kNames[0]; ++i)
    if (kNames[i] == name) {
      *out = static_cast<LogField>(i);
      return true;
    }
  return false;
}

}  // namespace

std::vector<std::string_view> log_field_names() {
  return std::vector<std::string_view>(std::begin(kNames), std::end(kNames));
}

std::string_view log_field_name(LogField f) { return kNames[static_cast<size_t>(f)]; }

bool compile_log_template(std::string_view text, LogTemplate* out, std::string* why) {
  out->clear();
  std::string lit;
  auto flush = [&] {
    if (!lit.empty()) out->push_back({true, LogField::kTime, std::move(lit)});
    lit.clear();
  };
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '\n' || c == '\r') {
      *why = "a template is one line: no line breaks";
      return false;
    }
    if (c != '$') {
      lit += c;
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {  // $$ is a dollar sign
      lit += '$';
      i += 2;
      continue;
    }
    std::string_view name;
    size_t next;
    if (i + 1 < text.size() && text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        *why = "unclosed ${ at column " + std::to_string(i + 1);
        return false;
      }
      name = text.substr(i + 2, close - i - 2);
      next = close + 1;
    } else {
      size_t end = i + 1;
      while (end < text.size() && name_char(text[end])) ++end;
      name = text.substr(i + 1, end - i - 1);
      next = end;
    }
    LogField f;
    if (!find_field(name, &f)) {
      std::string known;
      for (std::string_view n : kNames) known += (known.empty() ? "" : ", ") + std::string(n);
      *why = "unknown variable $" + std::string(name) + " (known: " + known + "; $$ for a dollar)";
      return false;
    }
    flush();
    out->push_back({false, f, {}});
    i = next;
  }
  flush();
  if (out->empty()) {
    *why = "empty template";
    return false;
  }
  return true;
}

}  // namespace gantry::config
