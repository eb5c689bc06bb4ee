// `weft top`: the `weft status` table, refreshed in place on a terminal; plain tables otherwise.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/admin_target.h"
#include "cli/commands.h"
#include "cli/help/help.h"
#include "cli/status_table.h"
#include "cli/terminal.h"
#include "cli/text_cells.h"

namespace weft::cli {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kPlainWidth = 120;

struct TopArgs {
  AdminTargetArgs target;
  std::chrono::milliseconds interval = 2s;
  SortOrder sort = SortOrder::kName;
  std::optional<long> iterations;
};

std::optional<std::chrono::milliseconds> parse_interval(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string::npos) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !(seconds >= 0.1) || seconds > 86400) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(std::llround(seconds * 1000));
}

std::optional<int> parse_args(const std::vector<std::string>& args, TopArgs& out) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      return print_help("top");
    }
    const OptionUse use = take_admin_option(args, i, out.target);
    if (use == OptionUse::kMissingValue) return usage_error("top", arg + " needs a value");
    if (use == OptionUse::kTaken) continue;
    std::string option = arg;
    std::optional<std::string> value;
    if (const auto eq = option.find('='); option.starts_with("--") && eq != std::string::npos) {
      value = option.substr(eq + 1);
      option.erase(eq);
    }
    if (option != "--interval" && option != "--sort" && option != "--iterations") {
      return usage_error("top", "unexpected argument '" + arg + "'");
    }
    if (!value) {
      if (i + 1 >= args.size()) return usage_error("top", option + " needs a value");
      value = args[++i];
    }
    if (option == "--interval") {
      const auto interval = parse_interval(*value);
      if (!interval) {
        return usage_error(
            "top", "--interval must be a number of seconds, at least 0.1, got '" + *value + "'");
      }
      out.interval = *interval;
    } else if (option == "--sort") {
      const auto sort = parse_sort_order(*value);
      if (!sort) {
        return usage_error("top", "--sort must be name, rate or errors, got '" + *value + "'");
      }
      out.sort = *sort;
    } else {
      out.iterations = parse_positive_integer(*value);
      if (!out.iterations) {
        return usage_error("top", "--iterations must be a positive integer, got '" + *value + "'");
      }
    }
  }
  return std::nullopt;
}

std::string local_time_text() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

// "weft top  2026-11-27 10:00:00  http://127.0.0.1:8686  3 pipelines  sorted by name"
std::string header_line(const AdminTarget& target, const PipelineList& list, SortOrder sort) {
  const std::size_t n = list.pipelines.size();
  return "weft top  " + local_time_text() + "  " + target.client->url("") + "  " +
         std::to_string(n) + (n == 1 ? " pipeline" : " pipelines") + "  sorted by " +
         to_string(sort);
}

int plain(const TopArgs& args, const AdminTarget& target) {
  const long iterations = args.iterations.value_or(1);
  for (long i = 0; i < iterations; ++i) {
    if (i > 0) std::this_thread::sleep_for(args.interval);
    PipelineList list = fetch_pipelines(target);
    if (list.error) {
      std::fprintf(stderr, "weft top: %s\n", list.error->c_str());
      return kExitFailure;
    }
    sort_pipelines(list.pipelines, args.sort);
    std::printf("%s%s\n%s", i > 0 ? "\n" : "", header_line(target, list, args.sort).c_str(),
                render_status_table(list.pipelines, kPlainWidth).c_str());
    std::fflush(stdout);
  }
  return kExitOk;
}

// One screen: the header, the error of the last refresh if any, then as much of the table as
// the terminal has rows for (the last row stays empty so that nothing scrolls). Each line clears
// what an earlier, longer screen left there.
void draw(const AdminTarget& target, PipelineList& list, const std::optional<std::string>& error,
          SortOrder sort) {
  sort_pipelines(list.pipelines, sort);
  const std::size_t rows = terminal_rows().value_or(24);
  // A line as wide as the terminal would leave the cursor in the last column, where "erase to
  // the end of the line" erases the line's last character.
  const std::size_t width = std::max<std::size_t>(terminal_columns().value_or(kPlainWidth), 21) - 1;
  std::vector<std::string> lines = {header_line(target, list, sort) + "  (n/r/e: sort, q: quit)"};
  if (error) lines.push_back("weft top: " + *error + "; trying again");
  lines.emplace_back();
  for (auto& line : lines) line = fit(std::move(line), width);
  const std::string table = render_status_table(list.pipelines, width);
  std::vector<std::string> table_lines;
  for (std::size_t start = 0, end; (end = table.find('\n', start)) != std::string::npos;
       start = end + 1) {
    table_lines.push_back(table.substr(start, end - start));
  }
  const std::size_t room = std::max<std::size_t>(rows, lines.size() + 3) - 1 - lines.size();
  if (table_lines.size() > room) {
    const std::size_t more = table_lines.size() - (room - 1);
    table_lines.resize(room - 1);
    table_lines.push_back("... " + std::to_string(more) + " more (a taller terminal shows them)");
  }
  lines.insert(lines.end(), table_lines.begin(), table_lines.end());
  std::string screen = "\x1b[H";
  for (const auto& line : lines) screen += line + "\x1b[K\n";
  screen += "\x1b[J";
  std::fputs(screen.c_str(), stdout);
  std::fflush(stdout);
}

int interactive(TopArgs args, const AdminTarget& target) {
  PipelineList shown = fetch_pipelines(target);
  if (shown.error) {
    std::fprintf(stderr, "weft top: %s\n", shown.error->c_str());
    return kExitFailure;
  }
  KeyReader keys;
  std::fputs("\x1b[H\x1b[2J", stdout);
  std::optional<std::string> error;
  for (long done = 1;; ++done) {
    draw(target, shown, error, args.sort);
    if (args.iterations && done >= *args.iterations) break;
    const auto next = std::chrono::steady_clock::now() + args.interval;
    for (auto now = std::chrono::steady_clock::now(); now < next;
         now = std::chrono::steady_clock::now()) {
      const auto key =
          keys.read_key(std::chrono::duration_cast<std::chrono::milliseconds>(next - now));
      if (key == 'q' || key == 'Q') return kExitOk;
      const char* order = key == 'n' ? "name" : key == 'r' ? "rate" : key == 'e' ? "errors" : "";
      const auto sort = parse_sort_order(order);
      if (sort) args.sort = *sort;
      if (sort || keys.take_resized()) draw(target, shown, error, args.sort);
    }
    PipelineList fresh = fetch_pipelines(target);
    error = fresh.error;
    if (!fresh.error) shown = std::move(fresh);
  }
  return kExitOk;
}

}  // namespace

int top_command(const std::vector<std::string>& args) {
  TopArgs parsed;
  if (auto exit_code = parse_args(args, parsed)) return *exit_code;
  // A daemon that hangs freezes the screen (and the keys) for at most this long.
  constexpr std::chrono::milliseconds kRequestTimeout = 10s;
  const auto target = resolve_admin_target(parsed.target, "top", true, kRequestTimeout);
  if (!target) return kExitConfig;
  if (!stdout_is_terminal()) return plain(parsed, *target);
  return interactive(parsed, *target);
}

}  // namespace weft::cli
