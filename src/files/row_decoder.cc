#include "files/row_decoder.h"

#include <algorithm>
#include <unordered_set>

#include "files/csv_decoder.h"
#include "files/json_decoders.h"

namespace weft::files {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// In front of every format: holds the first kSniffBytes back until they are known to be text
// (no NUL byte), so a binary file yields an Error and no rows however it is split into feeds,
// and drops a UTF-8 BOM there, so the format decoders only see text.
class PreludeDecoder final : public RowDecoder {
 public:
  explicit PreludeDecoder(std::unique_ptr<RowDecoder> inner) : inner_(std::move(inner)) {}

  Status feed(std::string_view bytes, std::vector<Row>& rows) override {
    if (!status_) return status_;
    if (!head_done_) {
      const std::size_t n = std::min(bytes.size(), kSniffBytes - head_.size());
      head_.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
      if (head_.size() < kSniffBytes) return status_;
      if (!release_head(rows)) return status_;
    }
    if (!bytes.empty()) status_ = inner_->feed(bytes, rows);
    return status_;
  }

  Status finish(std::vector<Row>& rows) override {
    if (!status_) return status_;
    if (!head_done_ && !release_head(rows)) return status_;
    status_ = inner_->finish(rows);
    return status_;
  }

 private:
  bool release_head(std::vector<Row>& rows) {
    head_done_ = true;
    if (const auto at = head_.find('\0'); at != std::string::npos) {
      status_ = Error::permanent("looks binary: NUL byte at offset " + std::to_string(at));
      return false;
    }
    std::string_view head = head_;
    if (head.starts_with(kBom)) head.remove_prefix(kBom.size());
    if (!head.empty()) status_ = inner_->feed(head, rows);
    head_ = std::string();
    return status_.ok();
  }

  std::unique_ptr<RowDecoder> inner_;
  Status status_;
  bool head_done_ = false;
  std::string head_;  // the first bytes of the file, until there are kSniffBytes of them
};

// For options that failed validate(): every call gives that Error.
class FailedDecoder final : public RowDecoder {
 public:
  explicit FailedDecoder(Error error) : error_(std::move(error)) {}
  Status feed(std::string_view, std::vector<Row>&) override { return error_; }
  Status finish(std::vector<Row>&) override { return error_; }

 private:
  Error error_;
};

std::string describe(char c) {
  if (c == '\n') return "LF";
  if (c == '\r') return "CR";
  return std::string("'") + c + "'";
}

}  // namespace

Status validate(const DecoderOptions& options) {
  if (options.max_row_bytes == 0) return Error::invalid_config("max_row_bytes must be positive");
  if (options.format == Format::kJsonArray) {
    auto path = parse_records_path(options.records_path);
    if (!path.ok()) return path.error();
  }
  if (options.format != Format::kCsv) return Status::ok_status();
  const CsvOptions& csv = options.csv;
  for (char c : {csv.delimiter, csv.quote}) {
    if (c == '\n' || c == '\r') {
      return Error::invalid_config("csv: " + describe(c) + " cannot be a delimiter or quote");
    }
  }
  if (csv.delimiter == csv.quote) {
    return Error::invalid_config("csv: delimiter and quote are both " + describe(csv.quote));
  }
  if (csv.escape) {
    const char e = *csv.escape;
    if (e == '\n' || e == '\r' || e == csv.delimiter) {
      return Error::invalid_config("csv: " + describe(e) + " cannot be the escape character");
    }
  }
  std::unordered_set<std::string> seen;
  for (const std::string& column : csv.columns) {
    if (column.empty()) return Error::invalid_config("csv: a column name in columns is empty");
    if (!seen.insert(column).second) {
      return Error::invalid_config("csv: column \"" + column + "\" appears twice in columns");
    }
  }
  return Status::ok_status();
}

std::unique_ptr<RowDecoder> make_row_decoder(const DecoderOptions& options) {
  if (Status status = validate(options); !status) {
    return std::make_unique<FailedDecoder>(status.error());
  }
  std::unique_ptr<RowDecoder> inner;
  switch (options.format) {
    case Format::kCsv: inner = make_csv_decoder(options); break;
    case Format::kJsonLines: inner = make_json_lines_decoder(options); break;
    case Format::kJsonArray: inner = make_json_array_decoder(options); break;
  }
  return std::make_unique<PreludeDecoder>(std::move(inner));
}

}  // namespace weft::files
