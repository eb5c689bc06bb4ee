#include "files/files_config.h"

#include <algorithm>
#include <utility>

#include "common/text.h"

namespace weft::files {
namespace {

Error field_error(const std::string& field, const std::string& message) {
  return Error::invalid_config("field '" + field + "': " + message);
}

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The one character a CSV setting names; "\t" and "tab" spell a tab.
Result<char> single_char(const Settings& csv, const std::string& name) {
  std::string text = csv.string(name);
  if (text == "\\t" || text == "tab") text = "\t";
  if (text.size() != 1) {
    return field_error("csv." + name, "must be one character (got '" + text + "')");
  }
  return text[0];
}

Result<CsvOptions> csv_options(const Settings& csv) {
  CsvOptions out;
  auto delimiter = single_char(csv, "delimiter");
  if (!delimiter) return delimiter.error();
  out.delimiter = *delimiter;
  auto quote = single_char(csv, "quote");
  if (!quote) return quote.error();
  out.quote = *quote;
  if (csv.has("escape")) {
    auto escape = single_char(csv, "escape");
    if (!escape) return escape.error();
    out.escape = *escape;
  }
  if (out.delimiter == out.quote || (out.escape && *out.escape == out.delimiter)) {
    return field_error("csv.delimiter", "must differ from csv.quote and csv.escape");
  }
  out.header = csv.boolean("header");
  if (csv.has("columns")) out.columns = csv.string_list("columns");
  if (!out.header && out.columns.empty()) {
    return field_error("csv.columns", "is required when csv.header is false (fields need names)");
  }
  if (csv.has("null_if")) out.null_if = csv.string_list("null_if");
  out.empty_as_null = csv.boolean("empty_as_null");
  out.skip_lines = static_cast<std::size_t>(csv.integer("skip_lines"));
  out.pad_or_truncate = csv.string("column_mismatch") == "pad_or_truncate";
  return out;
}

Status parse_location(const std::string& url, FilesConfig& out) {
  constexpr std::string_view kS3 = "s3://";
  constexpr std::string_view kFile = "file://";
  if (url.rfind(kS3, 0) == 0) {
    std::string rest = url.substr(kS3.size());
    const auto slash = rest.find('/');
    out.is_s3 = true;
    out.bucket = rest.substr(0, slash);
    out.prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (out.bucket.empty()) return field_error("url", "names no bucket: " + url);
    return {};
  }
  if (url.rfind(kFile, 0) == 0) {
    out.directory = url.substr(kFile.size());
    if (out.directory.empty() || out.directory[0] != '/') {
      return field_error("url", "a directory URL is file:///absolute/path (got " + url + ")");
    }
    while (out.directory.size() > 1 && out.directory.back() == '/') out.directory.pop_back();
    return {};
  }
  return field_error("url", "must start with s3:// or file:// (got '" + url + "')");
}

// Missing credentials are not a configuration error: `weft validate` runs where the daemon's
// environment is not (CI); the source says what is missing when it starts.
void resolve_credentials(const Settings& settings, const Environment& env, FilesConfig& out) {
  const auto setting_or_env = [&](const char* field, const char* variable) -> std::string {
    if (settings.has(field)) return settings.string(field);
    if (env.variable) {
      if (auto value = env.variable(variable)) return *value;
    }
    return "";
  };
  out.credentials.access_key_id = setting_or_env("access_key_id", "AWS_ACCESS_KEY_ID");
  out.credentials.secret_access_key =
      setting_or_env("secret_access_key", "AWS_SECRET_ACCESS_KEY");
  out.credentials.session_token = setting_or_env("session_token", "AWS_SESSION_TOKEN");
}

Status resolve_pattern(const Settings& settings, FilesConfig& out) {
  if (settings.has("pattern") && settings.has("glob")) {
    return field_error("glob", "set either pattern (a regular expression) or glob, not both");
  }
  std::string field;
  if (settings.has("pattern")) {
    field = "pattern";
    out.pattern_text = settings.string("pattern");
  } else if (settings.has("glob")) {
    field = "glob";
    out.pattern_text = glob_to_regex(settings.string("glob"));
  } else {
    return {};
  }
  try {
    out.pattern.emplace(out.pattern_text, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return field_error(field, "is not a valid regular expression: " + std::string(e.what()));
  }
  return {};
}

}  // namespace

std::string glob_to_regex(const std::string& glob) {
  std::string out;
  for (std::size_t i = 0; i < glob.size(); ++i) {
    const char c = glob[i];
    if (c == '*' && i + 1 < glob.size() && glob[i + 1] == '*') {
      out += ".*";
      ++i;
    } else if (c == '*') {
      out += "[^/]*";
    } else if (c == '?') {
      out += "[^/]";
    } else if (c == '[') {
      const auto close = glob.find(']', i + 1);
      if (close == std::string::npos) {
        out += "\\[";
      } else {
        std::string cls = glob.substr(i + 1, close - i - 1);
        if (!cls.empty() && cls[0] == '!') cls[0] = '^';
        out += "[" + cls + "]";
        i = close;
      }
    } else if (std::string_view("\\^$.|+(){}").find(c) != std::string_view::npos) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<Format> format_from_extension(const std::string& key) {
  std::string name = key;
  if (ends_with(name, ".gz")) name.resize(name.size() - 3);
  if (ends_with(name, ".csv")) return Format::kCsv;
  if (ends_with(name, ".jsonl") || ends_with(name, ".ndjson")) return Format::kJsonLines;
  if (ends_with(name, ".json")) return Format::kJsonArray;
  return std::nullopt;
}

Result<FilesConfig> FilesConfig::from(const Settings& settings, const Environment& env) {
  FilesConfig out;
  out.url = settings.string("url");
  if (Status s = parse_location(out.url, out); !s) return s.error();
  if (out.is_s3) {
    out.region = settings.string("region");
    if (settings.has("endpoint")) {
      out.endpoint = settings.string("endpoint");
      if (out.endpoint.rfind("http://", 0) != 0 && out.endpoint.rfind("https://", 0) != 0) {
        return field_error("endpoint", "must be an http:// or https:// URL (got '" +
                                           out.endpoint + "')");
      }
      while (!out.endpoint.empty() && out.endpoint.back() == '/') out.endpoint.pop_back();
    }
    out.path_style = settings.boolean("path_style");
    resolve_credentials(settings, env, out);
    const Settings timeout = settings.object("timeout");
    out.connect_timeout = timeout.duration("connect");
    out.read_timeout = timeout.duration("read");
  } else {
    for (const char* field : {"endpoint", "access_key_id", "secret_access_key", "session_token"}) {
      if (settings.has(field)) {
        return field_error(field, "applies to s3:// locations only (url is " + out.url + ")");
      }
    }
  }
  if (Status s = resolve_pattern(settings, out); !s) return s.error();
  out.min_age = settings.duration("min_age");
  if (settings.has("start_after")) out.start_after = settings.string("start_after");
  out.poll_interval = settings.duration("poll_interval");

  const std::string format = settings.string("format");
  if (format == "csv") out.format = Format::kCsv;
  if (format == "json_lines") out.format = Format::kJsonLines;
  if (format == "json_array") out.format = Format::kJsonArray;
  auto csv = csv_options(settings.object("csv"));
  if (!csv) return csv.error();
  out.decoder.csv = std::move(*csv);
  out.decoder.records_path = settings.object("json").string("records_path");
  out.decoder.max_row_bytes = settings.size("max_row_size");
  DecoderOptions probe = out.decoder;
  probe.format = Format::kJsonArray;
  if (Status s = validate(probe); !s) return field_error("json.records_path", s.error().message());
  const std::string compression = settings.string("compression");
  out.compression = compression == "gzip"   ? Compression::kGzip
                    : compression == "none" ? Compression::kNone
                                            : Compression::kAuto;
  out.read_size = settings.size("read_size");
  out.concurrency = static_cast<std::size_t>(settings.integer("concurrency"));

  const std::string after = settings.string("after_read");
  out.after_read = after == "delete" ? AfterRead::kDelete
                   : after == "move" ? AfterRead::kMove
                                     : AfterRead::kKeep;
  if (settings.has("move_to")) out.move_to = settings.string("move_to");
  if (out.after_read == AfterRead::kMove && out.move_to.empty()) {
    return field_error("move_to", "is required with after_read: move (a key prefix such as "
                                  "'processed/')");
  }
  if (out.after_read != AfterRead::kMove && !out.move_to.empty()) {
    return field_error("move_to", "only applies with after_read: move");
  }
  const std::string on_error = settings.string("on_error");
  out.on_error = on_error == "skip_file" ? OnError::kSkipFile
                 : on_error == "abort"   ? OnError::kAbort
                                         : OnError::kContinue;
  return out;
}

}  // namespace weft::files
