#include "webhook/form_body.h"

#include "net/form_encoding.h"

namespace weft::webhook {

nlohmann::json parse_form(std::string_view body) {
  nlohmann::json fields = nlohmann::json::object();
  for (auto& [name, value] : net::parse_form(body)) fields[name] = std::move(value);
  return fields;
}

}  // namespace weft::webhook
