// gantry: command line, then either a one-shot command (-t, modules, doctor)
// or the proxy in the foreground.
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "config/loader.h"
#include "config/schema_doc.h"
#include "doctor/doctor.h"
#include "module_loader/check_config.h"
#include "module_loader/list_modules.h"
#include "server/server.h"
#include "server/upgrade.h"

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "usage: gantry [-c FILE]        run the proxy in the foreground\n"
               "       gantry -t [-c FILE]     check a configuration and exit 0/1\n"
               "       gantry modules [DIR]    list the modules in DIR (default: modules dir)\n"
               "       gantry config-keys [--markdown [FILE]]\n"
               "                               list the core's config keys (as Markdown tables,\n"
               "                               or FILE with its key tables regenerated)\n"
               "       gantry doctor [-c FILE] [--root DIR] [--write-sysctl FILE]\n"
               "                     [--write-systemd FILE]\n"
               "                               check kernel settings for a proxy\n"
               "       gantry -v               print the version\n"
               "       gantry upgrade PID      start the binary at the running one's path in\n"
               "                               its place (sends SIGUSR2; see its log)\n"
               "signals: HUP reloads the configuration; USR1 reopens the access log file;\n"
               "         USR2 upgrades to the binary at the same path; TERM, QUIT, INT drain\n"
               "         and exit\n");
}

}  // namespace


int main(int argc, char** argv) {
  gantry::server::remember_command_line(argc, argv);
  std::string config = "/etc/gantry/gantry.toml";
  bool test = false;
  if (argc >= 2 && std::strcmp(argv[1], "modules") == 0) {
    std::string dir = argc >= 3 ? argv[2] : gantry::config::default_modules_dir();
    return gantry::modules::list_modules_cli(dir, stdout);
  }
  if (argc >= 2 && std::strcmp(argv[1], "config-keys") == 0) {
    return gantry::config::schema::config_keys_cli(argc - 1, argv + 1, stdout, stderr);
  }
  if (argc >= 2 && std::strcmp(argv[1], "upgrade") == 0) {
    long pid = argc == 3 ? std::strtol(argv[2], nullptr, 10) : 0;
    if (pid <= 1) {
      std::fprintf(stderr, "usage: gantry upgrade PID\n");
      return 2;
    }
    if (::kill(static_cast<pid_t>(pid), SIGUSR2) != 0) {
      std::fprintf(stderr, "gantry upgrade: cannot signal %ld: %s\n", pid, std::strerror(errno));
      return 1;
    }
    std::printf("sent SIGUSR2 to %ld: the new process takes over once it serves; the old "
                "one's log says how it went\n", pid);
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "doctor") == 0) {
    return gantry::doctor::main(argc - 1, argv + 1);
  }
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-c" && i + 1 < argc) {
      config = argv[++i];
    } else if (a == "-t") {
      test = true;
    } else if (a == "-v" || a == "--version") {
      std::printf("gantry %s (module ABI %d.%d)\n", GANTRY_VERSION, GANTRY_ABI_MAJOR,
                  GANTRY_ABI_MINOR);
      return 0;
    } else if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "gantry: unknown argument '%s'\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (test) return gantry::modules::check_config_cli(config, stdout);
  gantry::server::Server server(config);
  return server.run();
}
