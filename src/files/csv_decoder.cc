#include "files/csv_decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/utf8.h"

namespace weft::files {
namespace {

// JSON output is written by hand rather than through nlohmann::json: every CSV field of every
// row passes through here, and building a DOM per row (a map node and a string per field) costs
// several times the parsing itself. Rows are written straight into the Row's string instead.

// 1: the byte needs a JSON escape; 2: the byte is not ASCII (UTF-8 checks needed).
constexpr std::array<std::uint8_t, 256> kJsonClass = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = 1;
  table['"'] = 1;
  table['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) table[c] = 2;
  return table;
}();

// Writes the escape of `c` (a byte of class 1) at w; returns the end.
char* write_escape(char* w, unsigned char c) {
  *w++ = '\\';
  switch (c) {
    case '"': *w++ = '"'; return w;
    case '\\': *w++ = '\\'; return w;
    case '\n': *w++ = 'n'; return w;
    case '\r': *w++ = 'r'; return w;
    case '\t': *w++ = 't'; return w;
    case '\b': *w++ = 'b'; return w;
    case '\f': *w++ = 'f'; return w;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escaped[] = {'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      std::memcpy(w, escaped, sizeof escaped);
      return w + sizeof escaped;
    }
  }
}

// At most this many output bytes per input byte: \u00XX for a control character.
constexpr std::size_t kMaxEscapeRatio = 6;

// Writes `text` as a JSON string literal at w, which has room for kMaxEscapeRatio * size + 2
// bytes; returns the end. A byte loop rather than memchr/memcpy: fields are short, and a call
// per run of plain bytes costs more than copying them.
char* write_json_string(char* w, std::string_view text, bool known_valid_utf8) {
  *w++ = '"';
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  const std::uint8_t stop = known_valid_utf8 ? 1 : 3;
  while (p < end) {
    const unsigned char c = *p;
    const std::uint8_t cls = kJsonClass[c] & stop;
    if (cls == 0) {
      *w++ = static_cast<char>(c);
      ++p;
    } else if (cls == 1) {
      w = write_escape(w, c);
      ++p;
    } else if (const std::size_t n = utf8_length(p, end); n != 0) {
      std::memcpy(w, p, n);
      w += n;
      p += n;
    } else {
      std::memcpy(w, "\xEF\xBF\xBD", 3);  // U+FFFD REPLACEMENT CHARACTER
      w += 3;
      ++p;
    }
  }
  *w++ = '"';
  return w;
}

// A byte buffer written through a pointer, without std::string's check per append: callers
// make room first (reserve_more), then write at most that much.
class ByteBuffer {
 public:
  void reserve_more(std::size_t n) {
    if (size_ + n > capacity_) grow(size_ + n);
  }
  char* end() { return data_.get() + size_; }
  void set_end(char* end) { size_ = static_cast<std::size_t>(end - data_.get()); }
  void push_back(char c) { data_[size_++] = c; }
  const char* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  void clear() { size_ = 0; }

 private:
  void grow(std::size_t needed) {
    const std::size_t capacity = std::max({needed, 2 * capacity_, std::size_t{256}});
    auto data = std::make_unique<char[]>(capacity);
    if (size_ != 0) std::memcpy(data.get(), data_.get(), size_);
    data_ = std::move(data);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

enum class State : std::uint8_t {
  kSkipLines,      // dropping the first skip_lines physical lines
  kFieldStart,     // before the first byte of a field
  kUnquoted,       // inside an unquoted field
  kQuoted,         // inside a quoted field
  kQuoteInQuoted,  // just after a quote inside a quoted field: closing, or the first of ""
  kEscape,         // just after the escape character inside a quoted field
};

// The field separators of one state, as a table so the scanning loops test one byte once.
using ByteSet = std::array<bool, 256>;

class CsvDecoder final : public RowDecoder {
 public:
  explicit CsvDecoder(const DecoderOptions& options)
      : options_(options.csv), max_row_bytes_(options.max_row_bytes) {
    if (options_.escape == options_.quote) options_.escape.reset();  // the same as RFC 4180
    const auto mark = [](ByteSet& set, char c) { set[static_cast<unsigned char>(c)] = true; };
    for (ByteSet* set : {&unquoted_stop_, &quoted_stop_}) {
      mark(*set, '\n');
      mark(*set, '\r');
    }
    mark(unquoted_stop_, options_.delimiter);
    mark(quoted_stop_, options_.quote);
    if (options_.escape) mark(quoted_stop_, *options_.escape);
    state_ = options_.skip_lines > 0 ? State::kSkipLines : State::kFieldStart;
    if (!options_.header && !options_.columns.empty()) set_names(options_.columns);
    header_pending_ = options_.header;
  }

  Status feed(std::string_view bytes, std::vector<Row>& rows) override;
  Status finish(std::vector<Row>& rows) override;

 private:
  void open_row() {
    if (!row_open_) {
      row_open_ = true;
      row_line_ = line_;
      row_valid_utf8_ = chunk_valid_utf8_;
    }
  }
  void end_field() {
    if (oversized_) {
      fields_.clear();
    } else {
      field_ends_.push_back({fields_.size(), field_quoted_});
    }
    field_quoted_ = false;
  }
  // Ends a line break: counts it, and remembers a CR so that the LF of a CRLF is not another.
  void line_break(char c) {
    ++line_;
    after_cr_ = c == '\r';
  }
  // The row ends; `tail` is its text in the current chunk (after carry_), terminator excluded.
  void end_row(std::string_view tail, std::vector<Row>& rows, const char* error = nullptr);
  void emit(std::string_view tail, std::vector<Row>& rows, const char* error);
  void set_names(const std::vector<std::string>& names);
  std::string raw_text(std::string_view tail) const {
    std::string raw = carry_;
    raw.append(tail.substr(0, kMaxRawBytes - std::min(kMaxRawBytes, raw.size())));
    return raw;
  }

  struct FieldEnd {
    std::size_t end;  // offset in fields_ one past the field's last byte
    bool quoted;
  };

  CsvOptions options_;
  std::size_t max_row_bytes_;
  ByteSet unquoted_stop_{};
  ByteSet quoted_stop_{};
  Status status_;

  State state_;
  bool after_cr_ = false;
  bool header_pending_;
  std::uint64_t line_ = 1;  // the physical line of the next byte
  std::size_t skipped_ = 0;

  // The current row. Buffers are reused from row to row.
  bool row_open_ = false;
  bool field_quoted_ = false;
  bool oversized_ = false;
  // UTF-8 is checked a chunk at a time (one call over 256 KiB, not one per row): a row that
  // lies in valid chunks only is valid. Only rows touching an invalid chunk (or a character
  // split between two chunks) are checked on their own.
  bool chunk_valid_utf8_ = false;
  bool row_valid_utf8_ = false;
  std::uint64_t row_line_ = 0;
  // The unquoted values of the row's fields, one after another. feed() reserves the chunk's
  // size up front: a chunk adds at most one byte to it per byte it holds.
  ByteBuffer fields_;
  ByteBuffer json_;  // the row's JSON, built here and copied once into Row::json
  std::vector<FieldEnd> field_ends_;
  std::string carry_;            // the row's raw text from earlier chunks (at most kMaxRawBytes)
  std::size_t carry_bytes_ = 0;  // the row's raw length from earlier chunks, uncut

  std::vector<std::string> keys_;  // per column: `{"name":` or `,"name":`
  std::size_t keys_bytes_ = 0;
};

Status CsvDecoder::feed(std::string_view bytes, std::vector<Row>& rows) {
  if (!status_) return status_;
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  const char* row_begin = p;  // the current row's first byte in this chunk
  auto tail = [&](const char* stop) {
    return std::string_view(row_begin, static_cast<std::size_t>(stop - row_begin));
  };
  fields_.reserve_more(bytes.size());
  chunk_valid_utf8_ = simdjson::validate_utf8(bytes.data(), bytes.size());
  row_valid_utf8_ = row_valid_utf8_ && chunk_valid_utf8_;  // a row carried over from before
  while (p < end) {
    if (after_cr_) {
      after_cr_ = false;
      if (*p == '\n') {  // the LF of a CRLF already counted
        if (state_ == State::kQuoted) fields_.push_back('\n');
        if (!row_open_) row_begin = p + 1;
        ++p;
        continue;
      }
    }
    switch (state_) {
      case State::kSkipLines: {
        const char* q = p;
        while (q < end && *q != '\n' && *q != '\r') ++q;
        if (q == end) {
          p = end;
          break;
        }
        line_break(*q);
        p = q + 1;
        row_begin = p;
        if (++skipped_ == options_.skip_lines) state_ = State::kFieldStart;
        break;
      }
      case State::kFieldStart: {
        const char c = *p;
        if (c == options_.quote) {
          open_row();
          field_quoted_ = true;
          state_ = State::kQuoted;
          ++p;
        } else if (c == options_.delimiter) {
          open_row();
          end_field();
          ++p;
        } else if (c == '\n' || c == '\r') {
          if (row_open_) {  // a row ending in a delimiter: its last field is empty
            end_field();
            end_row(tail(p), rows);
          }
          line_break(c);
          row_begin = ++p;  // an empty line is no row
          if (!status_) return status_;
        } else {
          open_row();
          state_ = State::kUnquoted;
        }
        break;
      }
      case State::kUnquoted: {
        const char* q = p;
        char* w = fields_.end();
        while (q < end && !unquoted_stop_[static_cast<unsigned char>(*q)]) *w++ = *q++;
        fields_.set_end(w);
        p = q;
        if (q == end) break;
        end_field();
        state_ = State::kFieldStart;
        if (*q == options_.delimiter) {
          ++p;
          break;
        }
        end_row(tail(q), rows);
        line_break(*q);
        row_begin = ++p;
        if (!status_) return status_;
        break;
      }
      case State::kQuoted: {
        const char* q = p;
        char* w = fields_.end();
        while (q < end && !quoted_stop_[static_cast<unsigned char>(*q)]) *w++ = *q++;
        fields_.set_end(w);
        p = q;
        if (q == end) break;
        const char c = *p++;
        if (c == '\n' || c == '\r') {
          fields_.push_back(c);
          line_break(c);
        } else if (c == options_.quote) {
          state_ = State::kQuoteInQuoted;
        } else {
          state_ = State::kEscape;
        }
        break;
      }
      case State::kEscape: {
        const char c = *p++;
        fields_.push_back(c);
        if (c == '\n' || c == '\r') line_break(c);
        state_ = State::kQuoted;
        break;
      }
      case State::kQuoteInQuoted: {
        const char c = *p;
        if (c == options_.quote) {  // "" inside quotes: one literal quote
          fields_.push_back(c);
          state_ = State::kQuoted;
          ++p;
        } else if (c == options_.delimiter) {
          end_field();
          state_ = State::kFieldStart;
          ++p;
        } else if (c == '\n' || c == '\r') {
          end_field();
          state_ = State::kFieldStart;
          end_row(tail(p), rows);
          line_break(c);
          row_begin = ++p;
          if (!status_) return status_;
        } else {
          state_ = State::kUnquoted;  // lenient: "ab"cd is abcd
        }
        break;
      }
    }
  }
  // The row continues in the next chunk: keep its start for `raw` and watch its length.
  if (row_open_) {
    const std::string_view rest = tail(end);
    carry_.append(rest.substr(0, kMaxRawBytes - std::min(kMaxRawBytes, carry_.size())));
    carry_bytes_ += rest.size();
    if (carry_bytes_ > max_row_bytes_ && !oversized_) {
      oversized_ = true;  // from now on the row's fields are dropped as they come
      fields_.clear();
      field_ends_.clear();
    }
    if (oversized_) fields_.clear();
  }
  return status_;
}

Status CsvDecoder::finish(std::vector<Row>& rows) {
  if (!status_) return status_;
  after_cr_ = false;
  switch (state_) {
    case State::kSkipLines:
      break;
    case State::kQuoted:
    case State::kEscape:
      if (header_pending_) {
        status_ = Error::permanent("unterminated quoted field in the header row");
        return status_;
      }
      end_field();
      end_row({}, rows, "unterminated quoted field");
      break;
    case State::kFieldStart:
      if (!row_open_) break;  // a delimiter ended the last row: its last field is empty
      [[fallthrough]];
    case State::kUnquoted:
    case State::kQuoteInQuoted:
      end_field();
      end_row({}, rows);
      break;
  }
  state_ = State::kFieldStart;
  return status_;
}

void CsvDecoder::end_row(std::string_view tail, std::vector<Row>& rows, const char* error) {
  if (carry_bytes_ + tail.size() > max_row_bytes_) oversized_ = true;
  if (header_pending_) {
    header_pending_ = false;
    if (oversized_) {
      status_ = Error::permanent("the header row is longer than max_row_bytes (" +
                                 std::to_string(max_row_bytes_) + ")");
    } else if (!options_.columns.empty()) {
      set_names(options_.columns);
    } else {
      std::vector<std::string> names;
      std::size_t begin = 0;
      for (const FieldEnd& field : field_ends_) {
        names.emplace_back(fields_.data() + begin, field.end - begin);
        begin = field.end;
      }
      set_names(names);
    }
  } else {
    emit(tail, rows, error);
  }
  row_open_ = false;
  oversized_ = false;
  fields_.clear();
  field_ends_.clear();
  carry_.clear();
  carry_bytes_ = 0;
}

void CsvDecoder::emit(std::string_view tail, std::vector<Row>& rows, const char* error) {
  Row& row = rows.emplace_back();
  row.line = row_line_;
  auto bad = [&](std::string message) {
    row.error = std::move(message);
    row.raw = raw_text(tail);
  };
  if (error != nullptr) return bad(error);
  if (oversized_) {
    return bad("row is longer than max_row_bytes (" + std::to_string(max_row_bytes_) + ")");
  }
  // Without a header or columns, the first row sets the column count.
  if (keys_.empty()) {
    std::vector<std::string> names;
    for (std::size_t i = 1; i <= field_ends_.size(); ++i) names.push_back("column_" + std::to_string(i));
    set_names(names);
  }
  const std::size_t fields = field_ends_.size();
  const std::size_t columns = keys_.size();
  if (fields != columns && !options_.pad_or_truncate) {
    return bad("row has " + std::to_string(fields) + (fields == 1 ? " field" : " fields") +
               ", expected " + std::to_string(columns));
  }
  const bool valid_utf8 =
      row_valid_utf8_ || simdjson::validate_utf8(fields_.data(), fields_.size());
  json_.clear();
  json_.reserve_more(keys_bytes_ + kMaxEscapeRatio * fields_.size() + 6 * columns + 1);
  char* w = json_.end();
  std::size_t begin = 0;
  for (std::size_t i = 0; i < columns; ++i) {
    const std::string& key = keys_[i];
    for (char c : key) *w++ = c;  // short: a loop beats a memcpy call
    const std::string_view value =
        i < fields ? std::string_view(fields_.data() + begin, field_ends_[i].end - begin)
                   : std::string_view();
    bool null = i >= fields;
    if (!null && !field_ends_[i].quoted) {
      null = value.empty() ? options_.empty_as_null
                           : std::find(options_.null_if.begin(), options_.null_if.end(), value) !=
                                 options_.null_if.end();
    }
    if (i < fields) begin = field_ends_[i].end;
    if (null) {
      std::memcpy(w, "null", 4);
      w += 4;
    } else {
      w = write_json_string(w, value, valid_utf8);
    }
  }
  *w++ = '}';
  row.json.assign(json_.data(), static_cast<std::size_t>(w - json_.data()));
}

void CsvDecoder::set_names(const std::vector<std::string>& names) {
  std::unordered_set<std::string> used;
  keys_.clear();
  keys_bytes_ = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string name = names[i].empty() ? "column_" + std::to_string(i + 1) : names[i];
    if (used.count(name) != 0) {
      int n = 2;
      while (used.count(name + "_" + std::to_string(n)) != 0) ++n;
      name += "_" + std::to_string(n);
    }
    used.insert(name);
    std::string key(i == 0 ? "{" : ",");
    append_json_string(key, name);
    key.push_back(':');
    keys_bytes_ += key.size();
    keys_.push_back(std::move(key));
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view text, bool known_valid_utf8) {
  const std::size_t size = out.size();
  out.resize(size + kMaxEscapeRatio * text.size() + 2);
  char* end = write_json_string(out.data() + size, text, known_valid_utf8);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

std::unique_ptr<RowDecoder> make_csv_decoder(const DecoderOptions& options) {
  return std::make_unique<CsvDecoder>(options);
}

}  // namespace weft::files
