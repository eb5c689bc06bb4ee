#include "connectors/sinks/salesforce/config.h"

#include <fstream>
#include <sstream>

namespace weft::salesforce {

namespace {

Error field_error(const std::string& field, const std::string& why) {
  return Error::invalid_config("field '" + field + "': " + why);
}

ConfigSpec auth_spec() {
  ConfigSpec spec;
  spec.enumeration("grant", {"client_credentials", "jwt_bearer", "refresh_token", "password"})
      .default_value("client_credentials")
      .description(
          "The OAuth 2.0 flow of the connected app: `client_credentials` (a My Domain login URL "
          "and a run-as user on the app), `jwt_bearer` (a certificate on the app, the private "
          "key here), `refresh_token`, or `password` (deprecated by Salesforce).");
  spec.string("client_id").required().description("The connected app's consumer key.")
      .example("3MVG9...");
  spec.string("client_secret").secret()
      .description("The consumer secret (client_credentials, password; optional for "
                   "refresh_token).")
      .example("${SF_CLIENT_SECRET}");
  spec.string("username").description("The integration user (jwt_bearer, password).")
      .example("integration@example.com");
  spec.string("password").secret()
      .description("password grant: the user's password followed by its security token.")
      .example("${SF_PASSWORD}");
  spec.string("refresh_token").secret().description("refresh_token grant: the refresh token.")
      .example("${SF_REFRESH_TOKEN}");
  spec.path("private_key_file")
      .description("jwt_bearer: the PEM private key whose certificate is on the connected app.")
      .example("/etc/weft/salesforce.key");
  spec.string("audience")
      .description("jwt_bearer: the token's audience; default https://login.salesforce.com, or "
                   "https://test.salesforce.com when login_url is a sandbox.")
      .example("https://test.salesforce.com");
  return spec;
}

Result<OAuthSettings> auth_config(const Settings& auth, std::string login_url) {
  OAuthSettings o;
  o.login_url = std::move(login_url);
  const std::string grant = auth.string("grant");
  o.client_id = auth.string("client_id");
  auto take = [&](const char* name, std::string& into) {
    if (auth.has(name)) into = auth.string(name);
  };
  take("client_secret", o.client_secret);
  take("username", o.username);
  take("password", o.password);
  take("refresh_token", o.refresh_token);
  take("audience", o.audience);
  auto need = [&](const char* name, const std::string& value) -> Status {
    if (value.empty()) {
      return field_error(std::string("auth.") + name, "required with grant " + grant);
    }
    return {};
  };
  if (grant == "client_credentials") {
    o.grant = Grant::kClientCredentials;
    if (Status s = need("client_secret", o.client_secret); !s.ok()) return s.error();
  } else if (grant == "password") {
    o.grant = Grant::kPassword;
    for (auto [name, value] : {std::pair{"client_secret", &o.client_secret},
                               std::pair{"username", &o.username},
                               std::pair{"password", &o.password}}) {
      if (Status s = need(name, *value); !s.ok()) return s.error();
    }
  } else if (grant == "refresh_token") {
    o.grant = Grant::kRefreshToken;
    if (Status s = need("refresh_token", o.refresh_token); !s.ok()) return s.error();
  } else {
    o.grant = Grant::kJwtBearer;
    if (Status s = need("username", o.username); !s.ok()) return s.error();
    if (!auth.has("private_key_file")) {
      return field_error("auth.private_key_file", "required with grant jwt_bearer");
    }
    const std::string path = auth.string("private_key_file");
    std::ifstream in(path);
    if (!in) return field_error("auth.private_key_file", "cannot read " + path);
    std::ostringstream key;
    key << in.rdbuf();
    o.private_key_pem = key.str();
  }
  return o;
}

}  // namespace

Result<SalesforceConfig> sink_config(const Settings& settings) {
  SalesforceConfig c;
  auto auth = auth_config(settings.object("auth"), settings.string("login_url"));
  if (!auth) return auth.error();
  c.auth = std::move(*auth);
  c.api_version = settings.string("api_version");
  c.target.object = settings.string("object");
  const std::string op = settings.string("operation");
  c.target.operation = op == "insert"   ? Operation::kInsert
                       : op == "update" ? Operation::kUpdate
                       : op == "delete" ? Operation::kDelete
                                        : Operation::kUpsert;
  if (settings.has("external_id_field")) {
    c.target.external_id_field = settings.string("external_id_field");
  }
  if (c.target.operation == Operation::kUpsert && c.target.external_id_field.empty()) {
    return field_error("external_id_field", "required with operation upsert");
  }
  if (settings.has("crosswalk")) {
    const Settings crosswalk = settings.object("crosswalk");
    c.crosswalk_entity = crosswalk.string("entity");
    c.crosswalk_system = crosswalk.string("system");
  }
  c.requests_in_flight = static_cast<std::size_t>(settings.integer("requests_in_flight"));
  c.slow_down_above = settings.number("slow_down_above");
  c.bulk_threshold = static_cast<std::size_t>(settings.integer("bulk_threshold"));
  return c;
}

ConnectorInfo sink_info() {
  ConnectorInfo info;
  info.type = "salesforce";
  info.kind = ConnectorKind::kSink;
  info.summary =
      "Upserts records into a Salesforce object by an external id (or inserts, updates, "
      "deletes) through sObject Collections, 200 records a request with several in flight, or "
      "through Bulk API 2.0 for large batches; each record's own result decides whether it is "
      "delivered, retried or dead-lettered.";
  info.example =
      "type: salesforce\nlogin_url: https://acme.my.salesforce.com\nobject: Account\n"
      "external_id_field: Weft_Id__c\nauth:\n  grant: client_credentials\n"
      "  client_id: ${SF_CLIENT_ID}\n  client_secret: ${SF_CLIENT_SECRET}\n";
  auto& spec = info.spec;
  spec.string("login_url")
      .default_value("https://login.salesforce.com")
      .description("Where to log in: https://login.salesforce.com, https://test.salesforce.com "
                   "for sandboxes, or the org's My Domain URL (needed for client_credentials). "
                   "Data requests go to the instance URL the login returns.")
      .example("https://acme.my.salesforce.com");
  spec.string("api_version").default_value("62.0").description("The REST API version.")
      .example("62.0");
  spec.string("object").required().description("The sObject to write: Account, Contact, "
                                                "My_Object__c.").example("Account");
  spec.enumeration("operation", {"upsert", "insert", "update", "delete"})
      .default_value("upsert")
      .description("upsert: by external_id_field, creating what is missing (replays are "
                   "harmless). insert: always creates. update: by the record's `Id`, or by "
                   "external_id_field when it has no Id (the Ids are looked up with a SOQL "
                   "query; a record nobody has is dead-lettered, nothing is created). delete: "
                   "by `Id` (also found in a CDC before-image).");
  spec.string("external_id_field")
      .description("The external id field upsert matches records by; every record must carry "
                   "it and none may carry `Id`.")
      .example("Weft_Id__c");
  spec.object("auth", auth_spec()).required().description("How weft logs in (OAuth 2.0).");
  ConfigSpec crosswalk;
  crosswalk.string("entity").required().description("The crosswalk entity, e.g. customer.")
      .example("customer");
  crosswalk.string("system").default_value("salesforce")
      .description("The system name the Salesforce Ids are stored under.").example("salesforce");
  spec.object("crosswalk", crosswalk)
      .description("Write-back: link the Salesforce Id of every record Salesforce accepted to "
                   "the record's canonical id (the external id field's value for upsert, the "
                   "record key otherwise) in this crosswalk table, so that records coming back "
                   "from Salesforce translate to the same canonical id (docs/mapping.md).");
  spec.integer("requests_in_flight")
      .default_value("4")
      .min(1)
      .max(25)
      .description("Collections requests (200 records each) sent at once.");
  spec.number("slow_down_above")
      .default_value("0.9")
      .min(0)
      .max(1)
      .description("Above this share of the org's daily API requests (Sforce-Limit-Info), each "
                   "request waits a second first, leaving room for the org's other "
                   "integrations. When the limit is reached the pipeline pauses (not ready, "
                   "breaker open) and resumes when requests are allowed again; nothing is "
                   "dead-lettered for it.");
  spec.integer("bulk_threshold")
      .default_value("2000")
      .min(0)
      .description("Batches with at least this many records to send go through one Bulk API 2.0 "
                   "ingest job instead of Collections requests: a handful of API requests per "
                   "batch instead of one per 200 records, at the price of latency (the job is "
                   "polled until Salesforce has processed it, seconds to minutes). Each record "
                   "still gets its own result. 0: never use Bulk API.");
  parse_then_build(info, sink_config, make_salesforce_sink);
  return info;
}

}  // namespace weft::salesforce
