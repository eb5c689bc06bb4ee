#pragma once

// A metric's value straight from a prometheus-cpp registry, for connector tests that hand the
// connector a registry of their own.

#include <map>
#include <optional>
#include <string>

#include <prometheus/registry.h>

namespace weft::test {

// The first series of `name` whose labels include `labels`: a counter's or gauge's value, a
// histogram's sample count. nullopt when there is none.
inline std::optional<double> registry_sample(prometheus::Registry& registry,
                                             const std::string& name,
                                             const std::map<std::string, std::string>& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      bool match = true;
      for (const auto& [key, value] : labels) match = match && have[key] == value;
      if (!match) continue;
      switch (family.type) {
        case prometheus::MetricType::Histogram:
          return static_cast<double>(metric.histogram.sample_count);
        case prometheus::MetricType::Gauge:
          return metric.gauge.value;
        default:
          return metric.counter.value;
      }
    }
  }
  return std::nullopt;
}

}  // namespace weft::test
