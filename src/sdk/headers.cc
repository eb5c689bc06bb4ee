#include "weft/headers.h"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace weft {
namespace {

const Headers::List kNoEntries;

struct ByName {
  bool operator()(const Headers::Entry& entry, std::string_view name) const {
    return entry.first < name;
  }
};

const Headers::Entry* lower_bound(const Headers::Entry* begin, const Headers::Entry* end,
                                  std::string_view name) {
  return std::lower_bound(begin, end, name, ByName{});
}

}  // namespace

std::shared_ptr<const Headers::List> Headers::share(List entries) {
  // Stable, so that of equal names the last one written ends up last, and is the one kept.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.first < b.first; });
  List unique;
  unique.reserve(entries.size());
  for (Entry& entry : entries) {
    if (!unique.empty() && unique.back().first == entry.first) {
      unique.back().second = std::move(entry.second);
    } else {
      unique.push_back(std::move(entry));
    }
  }
  return std::make_shared<const List>(std::move(unique));
}

Headers::Headers(std::initializer_list<Entry> entries) {
  for (const Entry& entry : entries) set(entry.first, entry.second);
}

void Headers::set(std::string name, std::string value) {
  if (own_more_.empty()) {
    if (!own_one_ || own_one_->first == name) {
      own_one_.emplace(std::move(name), std::move(value));
      return;
    }
    own_more_.reserve(4);
    own_more_.push_back(std::move(*own_one_));
    own_one_.reset();
  }
  auto at = std::lower_bound(own_more_.begin(), own_more_.end(), name, ByName{});
  if (at != own_more_.end() && at->first == name) {
    at->second = std::move(value);
  } else {
    own_more_.emplace(at, std::move(name), std::move(value));
  }
}

const Headers::List& Headers::shared_list() const { return shared_ ? *shared_ : kNoEntries; }

Headers::const_iterator Headers::begin() const {
  const List& shared = shared_list();
  return const_iterator(own_begin(), own_end(), shared.data(), shared.data() + shared.size());
}

Headers::const_iterator Headers::end() const {
  const List& shared = shared_list();
  const Entry* shared_end = shared.data() + shared.size();
  return const_iterator(own_end(), own_end(), shared_end, shared_end);
}

Headers::const_iterator& Headers::const_iterator::operator++() {
  if (own_wins()) {
    if (shared_ != shared_end_ && shared_->first == own_->first) ++shared_;  // hidden by own
    ++own_;
  } else {
    ++shared_;
  }
  return *this;
}

Headers::const_iterator Headers::find(std::string_view name) const {
  const List& shared = shared_list();
  const Entry* shared_end = shared.data() + shared.size();
  const Entry* own = lower_bound(own_begin(), own_end(), name);
  const Entry* in_shared = lower_bound(shared.data(), shared_end, name);
  const bool found = (own != own_end() && own->first == name) ||
                     (in_shared != shared_end && in_shared->first == name);
  if (!found) return end();
  // Both cursors at `name`'s place in their list: the iterator shows the own entry if there
  // is one, and goes on from there in name order.
  return const_iterator(own, own_end(), in_shared, shared_end);
}

const std::string& Headers::at(std::string_view name) const {
  const auto it = find(name);
  if (it == end()) throw std::out_of_range("no header named " + std::string(name));
  return it->second;
}

std::size_t Headers::size() const {
  std::size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

bool Headers::operator==(const Headers& other) const {
  return std::equal(begin(), end(), other.begin(), other.end());
}

void to_json(nlohmann::json& out, const Headers& headers) {
  out = nlohmann::json::object();
  for (const auto& [name, value] : headers) out[name] = value;
}

}  // namespace weft
