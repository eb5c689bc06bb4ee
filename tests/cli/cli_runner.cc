#include "cli/cli_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "e2e/weft_process.h"

namespace weft::test {

using namespace std::chrono_literals;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

CliResult run_cli(const std::vector<std::string>& args, const TempDir& dir,
                  const std::vector<std::string>& env) {
  std::vector<std::string> argv = {weft_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, dir, env);
}

CliResult run_program(const std::vector<std::string>& argv, const TempDir& dir,
                      const std::vector<std::string>& env, const std::string& cwd) {
  const std::string out_path = dir.file("cli.out");
  const std::string err_path = dir.file("cli.err");
  std::string binary = argv.front();
  // The environment weft gets, built before fork(): a variable of `env` replaces an inherited one.
  std::vector<std::string> environment = env;
  for (char** inherited = environ; *inherited != nullptr; ++inherited) {
    const std::string_view variable(*inherited);
    const auto name = variable.substr(0, variable.find('=') + 1);
    bool replaced = false;
    for (const auto& added : env) replaced = replaced || added.starts_with(name);
    if (!replaced) environment.emplace_back(variable);
  }
  std::vector<char*> envp;
  for (auto& variable : environment) envp.push_back(variable.data());
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    std::vector<std::string> copy = argv;
    std::vector<char*> pointers;
    for (auto& arg : copy) pointers.push_back(arg.data());
    pointers.push_back(nullptr);
    ::execve(binary.c_str(), pointers.data(), envp.data());
    ::_exit(127);
  }
  CliResult result;
  int status = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 30s;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << binary << " did not finish within 30 s";
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  return result;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

unsigned short unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "cannot pick a free port";
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace weft::test
