#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace weft::webhook {

// An application/x-www-form-urlencoded body (Slack slash commands, Twilio) as a JSON object of
// strings: `a=1&b=x+y%21` -> {"a":"1","b":"x y!"}. A repeated name keeps its last value.
nlohmann::json parse_form(std::string_view body);

}  // namespace weft::webhook
