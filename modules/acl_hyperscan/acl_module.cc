// acl_hyperscan: HAProxy-style ACL routing. Every string pattern of the
// config is compiled at load into one Hyperscan database per request field;
// a request is scanned once per field a rule asks about, and the rules read
// the resulting bitset. See README.md for the configuration language.
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "acl_instance.h"
#include "config_reader.h"
#include "rule_parser.h"

namespace gantry::acl {
namespace {

// Names the ACL, the pattern (and its file line) and Hyperscan's message,
// at the config node the pattern came from.
void report_compile_error(const CfgReader& reader, const std::vector<std::vector<Pattern>>& pats,
                          const AclConfig& cfg, const BuildError& e) {
  const std::vector<Pattern>& list = pats[e.field];
  if (e.pattern < 0 || static_cast<size_t>(e.pattern) >= list.size()) {
    reader.fail(gantry::Config(), "acl: Hyperscan cannot compile the " +
                                      cfg.fields[e.field].label() + " patterns: " + e.message);
    return;
  }
  const Pattern& p = list[static_cast<size_t>(e.pattern)];
  std::string where = p.origin.empty() ? "" : " (" + p.origin + ")";
  reader.fail(p.node, "acl \"" + p.acl + "\": pattern \"" + p.written + "\"" + where +
                          " is not supported by Hyperscan: " + e.message);
}

}  // namespace

AclModule::AclModule(gantry::Host host, gantry::Config config) : Module(host), workers_(host) {
  // Errors name the module, as gantry prints them among others.
  try {
    build(config);
  } catch (const gantry::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw gantry::Error(GANTRY_ERR_NOMEM, "acl: out of memory");
  } catch (const std::exception& e) {
    throw gantry::Error(GANTRY_ERR_GENERIC, std::string("acl: ") + e.what());
  }
}

void AclModule::build(const gantry::Config& config) {
  CfgReader reader(host());
  if (hs_valid_platform() != HS_SUCCESS) {
    reader.fail(gantry::Config(), "acl: this CPU lacks the instructions Hyperscan needs (SSSE3)");
    reader.raise(GANTRY_ERR_NOTSUP);
  }
  std::vector<std::vector<Pattern>> patterns;
  if (!parse_module_config(reader, config, &cfg_, &patterns)) reader.raise();

  std::vector<std::string> labels;
  for (const FieldSpec& f : cfg_.fields) labels.push_back(f.label());
  BuildStats stats;
  BuildError error;
  std::vector<std::string> warnings;
  DbCache cache(cfg_.cache_dir);
  bool ok = matcher_.build(patterns, labels, cache, &stats, &error, &warnings);
  for (const std::string& w : warnings) host().warn("acl cache: " + w);
  if (!ok) {
    report_compile_error(reader, patterns, cfg_, error);
    reader.raise();
  }
  char line[256];
  std::snprintf(line, sizeof(line),
                "acl: %zu acls, %zu rules, %zu patterns in %zu databases (%zu from cache) "
                "ready in %.1f ms",
                cfg_.acls.size(), cfg_.rules.size(), stats.patterns, stats.databases,
                stats.from_cache, stats.compile_ms);
  host().info(line);

  register_metrics();
  std::string why;
  if (!init_workers(&why)) {
    reader.fail(gantry::Config(), "acl: " + why);
    reader.raise(GANTRY_ERR_NOMEM);
  }
}

// gantry_acl_rule_hits_total{module=...,rule=...}: a rule's `name`, or its
// position (#1 is the first). A rule set of many thousands would crowd the
// host's series table, so rules past kRuleSeries share rule="_other".
void AclModule::register_metrics() {
  constexpr size_t kRuleSeries = 1000;
  const char* help = "Requests an ACL rule matched (default: none matched, default_backend).";
  for (size_t i = 0; i < cfg_.rules.size(); ++i) {
    Rule& r = cfg_.rules[i];
    std::string label = i >= kRuleSeries     ? "_other"
                        : !r.name.empty()   ? r.name
                                            : "#" + std::to_string(i + 1);
    std::string escaped;
    for (char c : label) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c == '\n' ? ' ' : c;
    }
    r.hits_metric = host().metric_counter("acl_rule_hits_total", help, "rule=\"" + escaped + "\"");
  }
  if (!cfg_.default_backend.empty())
    cfg_.default_hits_metric = host().metric_counter("acl_rule_hits_total", help, "rule=\"default\"");
}

bool AclModule::init_workers(std::string* why) {
  size_t words = (cfg_.preds.size() + 63) / 64;
  auto init = [&](WorkerState* ws) {
    ws->bits.assign(words, 0);
    ws->scanned.assign(cfg_.fields.size(), 0);
    ws->scratch = matcher_.new_scratch(why);
    return why->empty();
  };
  for (size_t i = 0; i < workers_.size(); ++i)
    if (!init(&workers_.at(i))) return false;
  return init(&spare_);
}

gantry_action_t AclModule::on_request_headers(gantry::Request& req) {
  if (WorkerState* ws = workers_.local_or_null()) return evaluate_request(*this, req, ws);
  std::lock_guard<std::mutex> lock(spare_mu_);
  return evaluate_request(*this, req, &spare_);
}

}  // namespace gantry::acl

GANTRY_CPP_MODULE(gantry::acl::AclModule)
