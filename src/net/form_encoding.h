#pragma once

// application/x-www-form-urlencoded, the syntax of query strings and of form bodies (Slack slash
// commands, Twilio). Hand-written: a few lines, and none of weft's libraries decodes forms.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::net {

// "%41" is 'A' and '+' is a space; a '%' not followed by two hex digits stays as written.
std::string form_decode(std::string_view text);

// `a=1&b=x+y%21&c` -> {a,1}, {b,"x y!"}, {c,""}, decoded, in order; empty pairs are skipped.
std::vector<std::pair<std::string, std::string>> parse_form(std::string_view text);

}  // namespace weft::net
