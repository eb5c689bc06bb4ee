#pragma once

// The Salesforce Ids of records by an external id field, for `operation: update` of records
// that carry their external id instead of their Id: one SOQL query per 100 values through the
// REST query API (SELECT Id, Field FROM Object WHERE Field IN (...)), literals escaped.

#include <map>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "salesforce/session.h"
#include "weft/status.h"

namespace weft::salesforce {

// External id value -> Salesforce Id, for the values some record has; values no record has are
// missing from the map.
boost::asio::awaitable<Result<std::map<std::string, std::string>>> find_ids(
    Session& session, const std::string& object, const std::string& field,
    const std::vector<std::string>& values);

// A SOQL string literal: quoted, with backslashes and quotes escaped.
std::string soql_literal(const std::string& value);

}  // namespace weft::salesforce
