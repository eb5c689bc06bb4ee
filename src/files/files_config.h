#pragma once

// The `files` source's settings, checked and resolved (docs/connectors/files.md).

#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>

#include "config/environment.h"
#include "files/row_decoder.h"
#include "s3/sigv4.h"
#include "weft/settings.h"
#include "weft/status.h"

namespace weft::files {

enum class Compression { kAuto, kGzip, kNone };
enum class AfterRead { kKeep, kDelete, kMove };
enum class OnError { kContinue, kSkipFile, kAbort };

struct FilesConfig {
  // ---- where ----
  std::string url;  // as configured, for messages
  bool is_s3 = false;
  std::string directory;  // file://: the directory that is the location's root
  std::string bucket;     // s3://: the bucket (the root)
  std::string prefix;     // s3://: only keys under it are listed ("" for a directory)
  std::string region;
  std::string endpoint;  // empty: AWS
  bool path_style = true;
  s3::Credentials credentials;  // secret: never logged
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds read_timeout{30000};

  // ---- which objects ----
  std::string pattern_text;      // as configured (regex, or the glob's translation)
  std::optional<std::regex> pattern;  // matched against the key relative to the prefix
  std::chrono::milliseconds min_age{0};
  std::string start_after;
  std::chrono::milliseconds poll_interval{30000};

  // ---- how they are read ----
  std::optional<Format> format;  // nullopt: by extension, per object
  DecoderOptions decoder;         // format ignored when `format` is nullopt
  Compression compression = Compression::kAuto;
  std::uint64_t read_size = 8 * 1024 * 1024;  // bytes per ranged read
  std::size_t concurrency = 4;                 // objects fetched and parsed at once

  // ---- afterwards ----
  AfterRead after_read = AfterRead::kKeep;
  std::string move_to;  // kMove: key prefix relative to the root ("processed/")
  OnError on_error = OnError::kContinue;

  // invalid_config naming the field: an unsupported URL, a bad regex or glob, `move_to`
  // missing for `after_read: move`. Credentials not configured are taken from
  // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in `env`; none at all is
  // the source's error when it connects.
  static Result<FilesConfig> from(const Settings& settings, const Environment& env);
};

// The regular expression a glob stands for: `*` matches within one path segment, `**` across
// segments, `?` one character, `[...]` a class; everything else literally.
std::string glob_to_regex(const std::string& glob);

// The format a key's extension names (".csv", ".jsonl", ".ndjson", ".json", each
// optionally followed by ".gz"), or nullopt.
std::optional<Format> format_from_extension(const std::string& key);

}  // namespace weft::files
