// Renders CommandDocs as manual pages and short usages, and prints usage errors.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/help/help.h"

namespace weft::cli {
namespace {

constexpr std::size_t kWidth = 100;
constexpr std::string_view kIndent = "    ";
constexpr std::string_view kDeepIndent = "        ";

// Appends `text` as words flowed into lines of at most kWidth columns: the first line starts
// with `first`, the others with `rest`. A word longer than a line gets a line of its own.
void flow(std::string& out, std::string_view text, std::string_view first, std::string_view rest) {
  std::string line(first);
  bool empty = true;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    if (i == text.size()) break;
    std::size_t end = i;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
    const std::string_view word = text.substr(i, end - i);
    if (!empty && line.size() + 1 + word.size() > kWidth) {
      out += line + "\n";
      line = std::string(rest);
      empty = true;
    }
    if (!empty) line += ' ';
    line += word;
    empty = false;
    i = end;
  }
  out += line + "\n";
}

// Appends `text` indented by `indent`: paragraphs (runs of lines that do not start with a space)
// are re-flowed, lines that start with a space are kept as written, blank lines stay.
void block(std::string& out, std::string_view text, std::string_view indent) {
  while (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::string paragraph;
  const auto end_paragraph = [&] {
    if (!paragraph.empty()) flow(out, paragraph, indent, indent);
    paragraph.clear();
  };
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    if (line.empty()) {
      end_paragraph();
      if (end < text.size()) out += "\n";
    } else if (line.front() == ' ') {
      end_paragraph();
      out += std::string(indent) + std::string(line) + "\n";
    } else {
      if (!paragraph.empty()) paragraph += ' ';
      paragraph += line;
    }
    start = end + 1;
  }
  end_paragraph();
}

std::string words_of(std::string_view list) {
  std::string out;
  for (char c : list) out += c == ' ' ? std::string(", ") : std::string(1, c);
  return out;
}

std::string option_heading(const OptionDoc& option) {
  std::string heading(kIndent);
  if (!option.alias.empty()) heading += std::string(option.alias) + ", ";
  heading += option.name;
  if (!option.value.empty()) heading += " " + std::string(option.value);
  if (!option.only_for.empty()) heading += "    (" + words_of(option.only_for) + ")";
  return heading;
}

std::string title(const CommandDoc& doc) {
  return doc.name.empty() ? std::string("weft") : "weft " + std::string(doc.name);
}

void commands_section(std::string& out) {
  out += "COMMANDS\n";
  for (const CommandDoc& verb : command_docs()) {
    std::string first = std::string(kIndent) + std::string(verb.name);
    first.resize(16, ' ');
    flow(out, verb.summary, first, std::string(16, ' '));
  }
}

}  // namespace

std::string render_manual(const CommandDoc& doc) {
  std::string out = "NAME\n";
  flow(out, title(doc) + " - " + std::string(doc.summary), kIndent, kDeepIndent);
  out += "\nSYNOPSIS\n";
  for (std::string_view line : doc.synopsis) out += std::string(kIndent) + std::string(line) + "\n";
  out += "\nDESCRIPTION\n";
  block(out, doc.description, kIndent);
  if (doc.name.empty()) {
    out += "\n";
    commands_section(out);
  }
  if (!doc.subcommands.empty()) {
    out += "\nCOMMANDS\n";
    for (const SubcommandDoc& sub : doc.subcommands) {
      out += std::string(kIndent) + std::string(sub.name) + "\n";
      block(out, sub.text, kDeepIndent);
    }
  }
  for (const auto& [heading, text] : doc.sections) {
    out += "\n" + std::string(heading) + "\n";
    block(out, text, kIndent);
  }
  out += "\nOPTIONS\n";
  for (const OptionDoc& option : doc.options) {
    out += option_heading(option) + "\n";
    block(out, option.text, kDeepIndent);
  }
  out += "\nEXIT STATUS\n";
  for (const ExitDoc& exit : doc.exit_status) {
    std::string first = std::string(kIndent) + std::to_string(exit.code);
    first.resize(kDeepIndent.size(), ' ');
    flow(out, exit.meaning, first, kDeepIndent);
  }
  out += "\nEXAMPLES\n";
  for (const ExampleDoc& example : doc.examples) {
    block(out, example.command, kIndent);
    block(out, example.meaning, kDeepIndent);
  }
  out += "\nSEE ALSO\n";
  block(out, doc.see_also, kIndent);
  return out;
}

std::string render_short_usage(const CommandDoc& doc) {
  std::string out;
  for (std::string_view line : doc.synopsis) {
    out += (out.empty() ? "Usage: " : "       ") + std::string(line) + "\n";
  }
  return out;
}

int print_help(std::string_view verb) {
  const CommandDoc* doc = verb.empty() ? &weft_doc() : find_command_doc(verb);
  if (doc == nullptr) return usage_error("help", "no command named '" + std::string(verb) + "'");
  std::fputs(render_manual(*doc).c_str(), stdout);
  return kExitOk;
}

int usage_error(std::string_view verb, std::string_view subcommand, const std::string& message) {
  const CommandDoc* found = find_command_doc(verb);
  const CommandDoc& doc = found != nullptr ? *found : weft_doc();
  std::string name = title(doc);
  const std::string hint = "Run '" + name + " --help' for the full help.\n";
  if (!subcommand.empty()) name += " " + std::string(subcommand);
  std::fprintf(stderr, "%s: %s\n%s%s", name.c_str(), message.c_str(),
               render_short_usage(doc).c_str(), hint.c_str());
  return kExitConfig;
}

int usage_error(std::string_view verb, const std::string& message) {
  return usage_error(verb, "", message);
}

int missing_command(std::string_view verb) {
  const CommandDoc* found = find_command_doc(verb);
  const CommandDoc& doc = found != nullptr ? *found : weft_doc();
  std::string text = render_short_usage(doc);
  if (verb.empty()) {
    text += "\n";
    commands_section(text);
    text += "\n";
  }
  text += "Run '" + title(doc) + " --help' for the full help.\n";
  std::fputs(text.c_str(), stderr);
  return kExitConfig;
}

const CommandDoc* find_command_doc(std::string_view verb) {
  for (const CommandDoc& doc : command_docs()) {
    if (doc.name == verb) return &doc;
  }
  return nullptr;
}

OptionDoc admin_config_option() {
  return {"--config", "FILE",
          "The daemon config; its admin.listen says where the daemon listens (default "
          "config/weft.yaml).",
          Complete::kFile};
}

OptionDoc token_file_option() {
  return {"--token-file", "FILE",
          "Read the admin API's bearer token from FILE (its content without trailing "
          "whitespace). Without it the token is $WEFT_ADMIN_TOKEN when set and not empty, else "
          "admin.token of the daemon config. No option takes the token itself: it would show in "
          "ps.",
          Complete::kFile};
}

OptionDoc help_option() {
  return {"--help", "",  "Print this help to standard output and exit 0.", Complete::kNothing, "",
          "",       "-h"};
}

}  // namespace weft::cli
