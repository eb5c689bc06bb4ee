#pragma once

// The `salesforce` sink (docs/connectors/salesforce.md): upserts (or inserts, updates, deletes)
// records into one sObject through sObject Collections, 200 records a request with several
// requests in flight, or through one Bulk API 2.0 job for a batch of at least `bulk_threshold`
// records, and reports each record's own result so that only the records that failed are
// retried or dead-lettered.

#include <memory>
#include <string>

#include "salesforce/bulk_job.h"
#include "salesforce/collections.h"
#include "salesforce/oauth_client.h"
#include "weft/context.h"
#include "weft/sink.h"

namespace weft::salesforce {

struct SalesforceConfig {
  OAuthSettings auth;
  std::string api_version = "62.0";
  CollectionsTarget target;
  std::size_t requests_in_flight = 4;
  // Above this share of the org's daily API requests, each request waits `slow_down_delay`
  // first, leaving room for the org's other integrations.
  double slow_down_above = 0.9;
  std::chrono::milliseconds slow_down_delay{1000};
  // Batches with at least this many records to send go through one Bulk API 2.0 job instead
  // of Collections requests; 0: never.
  std::size_t bulk_threshold = 2000;
  BulkOptions bulk;
  // Write-back: each record Salesforce accepted links its Salesforce Id to the record's
  // canonical id (the external id field's value for upsert, the record key otherwise) in the
  // crosswalk table of `crosswalk_entity` for system `crosswalk_system`. Empty: no write-back.
  std::string crosswalk_entity;
  std::string crosswalk_system = "salesforce";
};

std::unique_ptr<Sink> make_salesforce_sink(SalesforceConfig config, const ConnectorContext& ctx);

}  // namespace weft::salesforce
