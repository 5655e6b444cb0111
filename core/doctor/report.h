#pragma once
// Presenting findings: the doctor's text report and the sysctl.d drop-in.
#include <cstdint>
#include <cstdio>
#include <string>

#include "doctor/finding.h"

namespace gantry::doctor {

void print_report(const Findings& findings, const std::string& header, FILE* out);

// A sysctl.d file with the recommended value of every sysctl finding to
// fix; returns false (and sets *error) if the file cannot be written.
bool write_sysctl_dropin(const Findings& findings, const std::string& path, std::string* error);

// A systemd drop-in for gantry.service ([Service] LimitNOFILE=`nofile`);
// `nr_open` is the kernel's per-process ceiling (fs.nr_open, 0 if unknown),
// which a LimitNOFILE above it cannot pass. Returns false (and sets *error)
// if the file cannot be written.
bool write_systemd_dropin(uint64_t nofile, uint64_t nr_open, const std::string& path,
                          std::string* error);

// One line: "key=value (recommended X: why) fix: cmd".
std::string summary_line(const Finding& f);

}  // namespace gantry::doctor
