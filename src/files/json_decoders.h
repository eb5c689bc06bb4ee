#pragma once

// Internal to weft_files_formats: the JSON lines and JSON array decoders behind make_row_decoder
// (row_decoder.cc). Options are already validated.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "files/row_decoder.h"

namespace weft::files {

std::unique_ptr<RowDecoder> make_json_lines_decoder(const DecoderOptions& options);
std::unique_ptr<RowDecoder> make_json_array_decoder(const DecoderOptions& options);

// The member names of a records_path ("$.data.items" -> {"data", "items"}; "$" -> {}), or an
// invalid_config Error naming what is wrong with it.
Result<std::vector<std::string>> parse_records_path(std::string_view path);

}  // namespace weft::files
