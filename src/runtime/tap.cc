#include "runtime/tap.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "config/redact.h"
#include "mapper/mapping.h"
#include "state/dead_letter_json.h"

namespace weft {
namespace {

// Key names that hold credentials, normalised. A key containing one of them is hidden.
constexpr std::array<std::string_view, 10> kSecretWords = {
    "password", "passwd", "secret", "token", "apikey",
    "authorization", "credential", "privatekey", "accesskey", "cookie"};

// Lower case, without '_' and '-': "API_Key" and "api-key" are the same name.
std::string normalise(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == '_' || c == '-') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The last field name a path reads: "email" for "$.data.object.email" or "$['e-mail']".
std::string leaf_name(std::string_view path) {
  if (path.ends_with("']") || path.ends_with("\"]")) {
    path.remove_suffix(2);
    const auto open = path.find_last_of("'\"");
    return open == std::string_view::npos ? std::string() : std::string(path.substr(open + 1));
  }
  std::size_t start = path.size();
  while (start > 0) {
    const char c = path[start - 1];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') break;
    --start;
  }
  return std::string(path.substr(start));
}

}  // namespace

TapRedactor::TapRedactor(const MappingSpec* mapping) {
  if (mapping == nullptr) return;
  if (mapping->model) {
    for (const auto& field : mapping->model->fields) {
      if (field.pii) pii_names_.insert(normalise(field.segments.back()));
    }
  }
  for (const auto& rule : mapping->fields) {
    if (!rule.pii) continue;
    pii_names_.insert(normalise(rule.segments.back()));
    for (const auto& from : rule.from) {
      const std::string leaf = leaf_name(from.text());
      if (!leaf.empty()) pii_names_.insert(normalise(leaf));
    }
  }
}

bool TapRedactor::hidden(std::string_view key) const {
  const std::string name = normalise(key);
  if (pii_names_.count(name) != 0) return true;
  return std::any_of(kSecretWords.begin(), kSecretWords.end(),
                     [&](std::string_view word) { return name.find(word) != std::string::npos; });
}

void TapRedactor::redact(nlohmann::json& value) const {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (hidden(it.key())) {
        it.value() = kRedacted;
      } else {
        redact(it.value());
      }
    }
  } else if (value.is_array()) {
    for (auto& element : value) redact(element);
  }
}

nlohmann::json TapRedactor::render(const Record& record) const {
  nlohmann::json out = record_to_json(record);
  for (const char* part : {"value", "before", "headers"}) {
    if (out.contains(part)) redact(out[part]);
  }
  return out;
}

TapHub::TapHub(std::string pipeline, TapRedactor redactor)
    : pipeline_(std::move(pipeline)), redactor_(std::move(redactor)) {}

std::shared_ptr<TapStream> TapHub::subscribe(TapStage stage, std::size_t limit) {
  auto stream = std::make_shared<TapStream>(limit);
  std::lock_guard lock(mutex_);
  if (closed_) {
    stream->finish();
    return stream;
  }
  const auto index = static_cast<std::size_t>(stage);
  streams_[index].push_back(stream);
  active_[index] = true;
  return stream;
}

void TapHub::publish(TapStage stage, const Batch& records,
                     const std::vector<std::size_t>* indices) {
  const auto index = static_cast<std::size_t>(stage);
  std::vector<std::shared_ptr<TapStream>> streams;
  {
    std::lock_guard lock(mutex_);
    prune_locked(index);
    streams = streams_[index];
  }
  if (streams.empty()) return;
  const std::size_t count = indices != nullptr ? indices->size() : records.size();
  for (std::size_t n = 0; n < count; ++n) {
    const Record& record = records[indices != nullptr ? (*indices)[n] : n];
    const bool wanted = std::any_of(streams.begin(), streams.end(),
                                    [](const auto& s) { return s->wants_more(); });
    if (!wanted) break;
    nlohmann::json line = {{"pipeline", pipeline_},
                           {"stage", to_string(stage)},
                           {"record", redactor_.render(record)}};
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    for (const auto& stream : streams) stream->push(text);
  }
}

void TapHub::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (std::size_t i = 0; i < kTapStages; ++i) {
    for (const auto& stream : streams_[i]) stream->finish();
    streams_[i].clear();
    active_[i] = false;
  }
}

void TapHub::prune_locked(std::size_t stage) {
  auto& list = streams_[stage];
  std::erase_if(list, [](const auto& s) { return !s->wants_more(); });
  active_[stage] = !list.empty();
}

}  // namespace weft
