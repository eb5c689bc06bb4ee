#pragma once

#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace weft {

// A record's source metadata: name -> text (`_filename`, `_lsn`, `x-github-event`), one value
// per name, read in name order like a std::map.
//
// Built for sources that emit many records with nearly the same headers (every row of a file
// carries its name and ETag): what the records have in common goes into one immutable shared
// list that all of them point at, and only what differs (the row's line) is the record's own.
// Copying a record then copies a pointer, not every name and value, and a record costs no
// allocation per common header. Reads see the union; an own entry hides a shared one of the
// same name. Writes only ever touch the own entries, so the shared list is never modified and
// records holding it may live on different threads.
class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;
  // Sorted by name, names unique.
  using List = std::vector<Entry>;

  // Sorts `entries` by name into a list to share; of repeated names, the last one counts.
  static std::shared_ptr<const List> share(List entries);

  Headers() = default;
  explicit Headers(std::shared_ptr<const List> shared) : shared_(std::move(shared)) {}
  Headers(std::initializer_list<Entry> entries);

  // Sets a header, replacing any value it had (own or shared).
  void set(std::string name, std::string value);

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = const Entry*;
    using reference = const Entry&;

    const_iterator() = default;
    reference operator*() const { return own_wins() ? *own_ : *shared_; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++();
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const const_iterator& other) const {
      return own_ == other.own_ && shared_ == other.shared_;
    }

   private:
    friend class Headers;
    using Cursor = const Entry*;
    const_iterator(Cursor own, Cursor own_end, Cursor shared, Cursor shared_end)
        : own_(own), own_end_(own_end), shared_(shared), shared_end_(shared_end) {}
    // On a tie the own entry is the one seen; the shared one is skipped with it.
    bool own_wins() const {
      return shared_ == shared_end_ || (own_ != own_end_ && own_->first <= shared_->first);
    }

    Cursor own_, own_end_, shared_, shared_end_;
  };
  using iterator = const_iterator;

  const_iterator begin() const;
  const_iterator end() const;
  const_iterator find(std::string_view name) const;
  // The value of `name`; throws std::out_of_range when there is none.
  const std::string& at(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != end(); }
  bool empty() const { return own_begin() == own_end() && (!shared_ || shared_->empty()); }
  std::size_t size() const;

  // Equal when they hold the same names and values, however they are stored.
  bool operator==(const Headers& other) const;

 private:
  const List& shared_list() const;
  const Entry* own_begin() const { return own_one_ ? &*own_one_ : own_more_.data(); }
  const Entry* own_end() const {
    return own_one_ ? &*own_one_ + 1 : own_more_.data() + own_more_.size();
  }

  std::shared_ptr<const List> shared_;
  // The own entries, sorted by name. A single one is kept inline, so a source that adds one
  // header per record (a file's _row) allocates nothing for it; a second moves both into
  // own_more_. At most one of the two holds entries.
  std::optional<Entry> own_one_;
  List own_more_;
};

// An object {name: value, ...}.
void to_json(nlohmann::json& out, const Headers& headers);

}  // namespace weft
