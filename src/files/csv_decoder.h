#pragma once

// Internal to weft_files_formats: the format decoders behind make_row_decoder (row_decoder.cc),
// which adds BOM and binary-file handling in front of them. Options are already validated.

#include <memory>
#include <string>
#include <string_view>

#include "files/row_decoder.h"

namespace weft::files {

std::unique_ptr<RowDecoder> make_csv_decoder(const DecoderOptions& options);

// Appends `text` to `out` as a JSON string literal, quotes included: '"', '\\' and control
// characters below 0x20 escaped (\n, \t... or \u00XX); every byte that is not part of a valid
// UTF-8 sequence becomes U+FFFD. `known_valid_utf8` skips the UTF-8 checks (the caller has
// validated a larger buffer at once).
void append_json_string(std::string& out, std::string_view text, bool known_valid_utf8 = false);

}  // namespace weft::files
