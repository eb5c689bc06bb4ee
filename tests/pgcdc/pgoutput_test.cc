#include "pgcdc/pgoutput.h"

#include <gtest/gtest.h>

#include "pgcdc/captured_messages.h"

namespace weft::pgcdc {
namespace {

using captured::kStream;

// Decodes captured message `index` as alternative T; the bytes stay alive in `storage`.
template <typename T>
T decode_as(std::size_t index, std::string& storage) {
  storage = captured::bytes(kStream[index]);
  auto decoded = decode_pgoutput(storage);
  EXPECT_TRUE(decoded.ok()) << index << ": " << decoded.error().message();
  if (!decoded.ok()) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*decoded)) << index;
  return std::holds_alternative<T>(*decoded) ? std::get<T>(*decoded) : T{};
}

std::vector<std::string_view> texts(const Tuple& tuple) {
  std::vector<std::string_view> out;
  for (const auto& v : tuple) {
    out.push_back(v.kind == ValueKind::kText   ? v.data
                  : v.kind == ValueKind::kNull ? "<null>"
                                               : "<toast>");
  }
  return out;
}

constexpr std::uint32_t kT = 16389, kFullT = 16396, kBig = 16403;

TEST(PgOutputCapturedTest, EveryCapturedMessageDecodes) {
  for (std::size_t i = 0; i < std::size(kStream); ++i) {
    const auto bytes = captured::bytes(kStream[i]);
    const auto decoded = decode_pgoutput(bytes);
    EXPECT_TRUE(decoded.ok()) << i << ": " << decoded.error().message();
  }
}

TEST(PgOutputCapturedTest, BeginAndCommitCarryTheTransactionsPositions) {
  std::string b1, b2;
  const auto begin = decode_as<Begin>(captured::kBeginTx1, b1);
  const auto commit = decode_as<Commit>(captured::kCommitTx1, b2);
  EXPECT_EQ(format_lsn(begin.final_lsn), "0/153AE70");
  EXPECT_EQ(begin.xid, 731u);
  EXPECT_EQ(commit.flags, 0);
  EXPECT_EQ(commit.commit_lsn, begin.final_lsn);
  EXPECT_EQ(format_lsn(commit.end_lsn), "0/153AEA0");  // the LSN the slot reported for it
  EXPECT_EQ(format_lsn(commit.end_lsn), kStream[captured::kCommitTx1].lsn);
  EXPECT_EQ(commit.commit_time, begin.commit_time);
}

TEST(PgOutputCapturedTest, OriginIsSentAfterBeginWithTheOriginsCommitTime) {
  std::string b1, b2, b3;
  const auto begin = decode_as<Begin>(captured::kOriginBegin, b1);
  const auto origin = decode_as<Origin>(captured::kOrigin, b2);
  const auto commit = decode_as<Commit>(captured::kOriginCommit, b3);
  EXPECT_EQ(origin.name, "weft_origin");
  EXPECT_EQ(format_lsn(origin.commit_lsn), "0/1234ABCD");
  // pg_replication_origin_xact_setup's timestamp becomes the commit time.
  const auto expected = std::chrono::sys_days{std::chrono::year{2024} / 1 / 2} +
                        std::chrono::hours(3) + std::chrono::minutes(4) + std::chrono::seconds(5);
  EXPECT_EQ(from_pg_time(begin.commit_time), expected);
  EXPECT_EQ(from_pg_time(commit.commit_time), expected);
}

TEST(PgOutputCapturedTest, EnumTypeComesBeforeTheRelationUsingIt) {
  std::string b1, b2;
  const auto type = decode_as<TypeInfo>(captured::kMoodType, b1);
  EXPECT_EQ(type.oid, 16385u);
  EXPECT_EQ(type.schema, "public");
  EXPECT_EQ(type.name, "mood");
  const auto rel = decode_as<Relation>(captured::kRelationT, b2);
  ASSERT_EQ(rel.columns.size(), 24u);
  EXPECT_EQ(rel.columns.back().name, "mo");
  EXPECT_EQ(rel.columns.back().type_oid, type.oid);
}

TEST(PgOutputCapturedTest, RelationDescribesColumnsKeysAndTypeModifiers) {
  std::string storage;
  const auto rel = decode_as<Relation>(captured::kRelationT, storage);
  EXPECT_EQ(rel.id, kT);
  EXPECT_EQ(rel.schema, "public");
  EXPECT_EQ(rel.name, "t");
  EXPECT_EQ(rel.replica_identity, 'd');
  ASSERT_EQ(rel.columns.size(), 24u);
  EXPECT_EQ(rel.columns[0].name, "id");
  EXPECT_TRUE(rel.columns[0].part_of_key);
  EXPECT_EQ(rel.columns[0].type_oid, 23u);
  EXPECT_EQ(rel.columns[0].type_modifier, -1);
  EXPECT_FALSE(rel.columns[1].part_of_key);
  EXPECT_EQ(rel.columns[6].name, "n");
  EXPECT_EQ(rel.columns[6].type_oid, 1700u);
  EXPECT_EQ(rel.columns[6].type_modifier, (20 << 16 | 5) + 4);  // numeric(20,5)
  EXPECT_EQ(rel.columns[9].name, "vc");
  EXPECT_EQ(rel.columns[9].type_modifier, 10 + 4);  // varchar(10)
  EXPECT_EQ(rel.columns[20].type_oid, 1007u);       // int[]
  EXPECT_EQ(rel.columns[22].type_oid, 1007u);       // int[][] is the same type
}

TEST(PgOutputCapturedTest, FullIdentityMarksEveryColumnAsKey) {
  std::string storage;
  const auto rel = decode_as<Relation>(captured::kRelationFullT, storage);
  EXPECT_EQ(rel.id, kFullT);
  EXPECT_EQ(rel.replica_identity, 'f');
  ASSERT_EQ(rel.columns.size(), 2u);
  EXPECT_TRUE(rel.columns[0].part_of_key);
  EXPECT_TRUE(rel.columns[1].part_of_key);
}

TEST(PgOutputCapturedTest, InsertCarriesEveryTypesTextOutput) {
  std::string storage;
  const auto ins = decode_as<Insert>(captured::kInsertAllTypes, storage);
  EXPECT_EQ(ins.relation_id, kT);
  const std::vector<std::string_view> expected = {"1",
                                                  "t",
                                                  "-32768",
                                                  "9223372036854775807",
                                                  "1.5",
                                                  "-2.25e-10",
                                                  "12345.67890",
                                                  "$12.34",
                                                  "tab\there \"q\" \\ back \xC3\xA9",
                                                  "vc",
                                                  "ab ",
                                                  "2024-01-02",
                                                  "03:04:05.123",
                                                  "2024-01-02 03:04:05.123456",
                                                  "2024-01-02 03:04:05.123+00",
                                                  "1 day 02:03:04",
                                                  "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                                                  R"({"k": [1, 2]})",
                                                  R"({"k": [1, 2]})",
                                                  "\\x00ff10",
                                                  "{1,2,NULL}",
                                                  R"({"a b","c\"d",NULL,"NULL"})",
                                                  "{{1,2},{3,4}}",
                                                  "happy"};
  EXPECT_EQ(texts(ins.new_tuple), expected);
}

TEST(PgOutputCapturedTest, MultiRowInsertIsOneMessagePerRowWithNulls) {
  std::string s1, s2, s3;
  const auto a = decode_as<Insert>(captured::kInsertMultiRowFirst, s1);
  const auto b = decode_as<Insert>(captured::kInsertMultiRowNull, s2);
  const auto c = decode_as<Insert>(captured::kInsertMultiRowEmpty, s3);
  ASSERT_EQ(a.new_tuple.size(), 24u);
  EXPECT_EQ(a.new_tuple[8].data, "two");
  EXPECT_EQ(a.new_tuple[1].kind, ValueKind::kNull);
  EXPECT_EQ(b.new_tuple[0].data, "3");
  EXPECT_EQ(b.new_tuple[8].kind, ValueKind::kNull);
  EXPECT_EQ(c.new_tuple[8].kind, ValueKind::kText);  // '' is not NULL
  EXPECT_EQ(c.new_tuple[8].data, "");
}

TEST(PgOutputCapturedTest, UpdateWithUnchangedKeyHasNoOldTuple) {
  std::string storage;
  const auto u = decode_as<Update>(captured::kUpdateKeyUnchanged, storage);
  EXPECT_EQ(u.relation_id, kT);
  EXPECT_FALSE(u.old_tuple.has_value());
  ASSERT_EQ(u.new_tuple.size(), 24u);
  EXPECT_EQ(u.new_tuple[8].data, "one");
}

TEST(PgOutputCapturedTest, UpdateOfTheKeySendsTheOldKey) {
  std::string storage;
  const auto u = decode_as<Update>(captured::kUpdateKeyChanged, storage);
  ASSERT_TRUE(u.old_tuple.has_value());
  EXPECT_TRUE(u.old_is_key_only);
  ASSERT_EQ(u.old_tuple->size(), 24u);
  EXPECT_EQ((*u.old_tuple)[0].data, "2");
  EXPECT_EQ((*u.old_tuple)[8].kind, ValueKind::kNull);  // non-key columns are nulls in 'K'
  EXPECT_EQ(u.new_tuple[0].data, "20");
  EXPECT_EQ(u.new_tuple[8].data, "two");
}

TEST(PgOutputCapturedTest, UpdateWithFullIdentitySendsTheWholeOldRow) {
  std::string storage;
  const auto u = decode_as<Update>(captured::kUpdateFullIdentity, storage);
  EXPECT_EQ(u.relation_id, kFullT);
  ASSERT_TRUE(u.old_tuple.has_value());
  EXPECT_FALSE(u.old_is_key_only);
  EXPECT_EQ(texts(*u.old_tuple), (std::vector<std::string_view>{"1", "a"}));
  EXPECT_EQ(texts(u.new_tuple), (std::vector<std::string_view>{"1", "b"}));
}

TEST(PgOutputCapturedTest, UnchangedToastedValueArrivesWithoutData) {
  std::string s1, s2;
  const auto ins = decode_as<Insert>(captured::kInsertBig, s1);
  EXPECT_EQ(ins.relation_id, kBig);
  ASSERT_EQ(ins.new_tuple.size(), 3u);
  EXPECT_EQ(ins.new_tuple[2].data.size(), 80u * 32);  // 80 md5 hex digests
  EXPECT_EQ(ins.new_tuple[2].data.substr(0, 32), "c4ca4238a0b923820dcc509a6f75849b");  // md5('1')
  const auto u = decode_as<Update>(captured::kUpdateToastUnchanged, s2);
  EXPECT_EQ(texts(u.new_tuple), (std::vector<std::string_view>{"1", "m", "<toast>"}));
  EXPECT_TRUE(u.new_tuple[2].data.empty());
}

TEST(PgOutputCapturedTest, DeletesCarryTheKeyOrTheWholeRow) {
  std::string s1, s2;
  const auto by_key = decode_as<Delete>(captured::kDeleteKey, s1);
  EXPECT_EQ(by_key.relation_id, kT);
  EXPECT_TRUE(by_key.old_is_key_only);
  EXPECT_EQ(by_key.old_tuple[0].data, "3");
  const auto full = decode_as<Delete>(captured::kDeleteFullIdentity, s2);
  EXPECT_FALSE(full.old_is_key_only);
  EXPECT_EQ(texts(full.old_tuple), (std::vector<std::string_view>{"1", "b"}));
}

TEST(PgOutputCapturedTest, TruncateListsItsRelationsAndOptions) {
  std::string storage;
  const auto t = decode_as<Truncate>(captured::kTruncate, storage);
  EXPECT_EQ(t.relation_ids, (std::vector<std::uint32_t>{kBig, kFullT}));
  EXPECT_TRUE(t.cascade);
  EXPECT_TRUE(t.restart_identity);
}

TEST(PgOutputCapturedTest, LogicalMessagesTransactionalOrNot) {
  std::string s1, s2;
  const auto in_tx = decode_as<LogicalMessage>(captured::kMessageTransactional, s1);
  EXPECT_TRUE(in_tx.transactional);
  EXPECT_EQ(in_tx.prefix, "weft");
  EXPECT_EQ(in_tx.content, "in tx");
  EXPECT_EQ(format_lsn(in_tx.lsn), "0/153DCA8");
  const auto outside = decode_as<LogicalMessage>(captured::kMessageNonTransactional, s2);
  EXPECT_FALSE(outside.transactional);
  EXPECT_EQ(outside.prefix, "weft.nt");
  EXPECT_EQ(outside.content, std::string_view("\x00\x01\xff", 3));
}

TEST(PgOutputCapturedTest, AlterTableMidTransactionResendsTheRelation) {
  std::string s1, s2;
  const auto rel = decode_as<Relation>(captured::kRelationFullTAltered, s1);
  EXPECT_EQ(rel.id, kFullT);
  ASSERT_EQ(rel.columns.size(), 3u);
  EXPECT_EQ(rel.columns[2].name, "extra");
  EXPECT_EQ(rel.columns[2].type_oid, 23u);
  const auto ins = decode_as<Insert>(captured::kInsertAfterAlter, s2);
  EXPECT_EQ(texts(ins.new_tuple), (std::vector<std::string_view>{"7", "z", "42"}));
}

// Every proper prefix of every captured message is an Error, never a crash or a success.
TEST(PgOutputMalformedTest, EveryTruncationIsAnError) {
  for (std::size_t i = 0; i < std::size(kStream); ++i) {
    const auto bytes = captured::bytes(kStream[i]);
    for (std::size_t len = 0; len < bytes.size(); ++len) {
      const auto decoded = decode_pgoutput(std::string_view(bytes).substr(0, len));
      ASSERT_FALSE(decoded.ok()) << "message " << i << " cut at " << len;
      EXPECT_EQ(decoded.error().kind(), ErrorKind::kPermanent);
    }
  }
}

TEST(PgOutputMalformedTest, ErrorsNameTheMessageAndTheField) {
  const auto bytes = captured::bytes(kStream[captured::kUpdateFullIdentity]);
  // 'U', relid(4), 'O', ncols(2), 't' len(4) "1", 't' len(4) "a"; cut inside column 1's text.
  auto decoded = decode_pgoutput(std::string_view(bytes).substr(0, 1 + 4 + 1 + 2 + 6 + 5));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "pgoutput Update: tuple column 1 runs past the end of the message");

  decoded = decode_pgoutput(bytes + "x");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "pgoutput Update: 1 unexpected bytes after the message");

  auto bad_kind = bytes;
  bad_kind[8] = 'x';  // column 0's kind
  decoded = decode_pgoutput(bad_kind);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "pgoutput Update: tuple column 0 has an unknown kind (expected n, u, t or b)");

  decoded = decode_pgoutput("Z123");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "pgoutput: unknown message type 0x5a");
  EXPECT_FALSE(decode_pgoutput("").ok());

  const auto rel = captured::bytes(kStream[captured::kRelationFullT]);
  decoded = decode_pgoutput(rel.substr(0, 9));  // inside "public"
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "pgoutput Relation: namespace is not NUL-terminated before the end of the message");
}

TEST(PgOutputMalformedTest, NegativeLengthsAndCountsAreErrors) {
  // Insert, relid 1, 'N', 1 column, 't' with length -1.
  const std::string negative_len("I\0\0\0\1N\0\1t\xff\xff\xff\xff", 13);
  auto decoded = decode_pgoutput(negative_len);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(), "pgoutput Insert: tuple column 0 has a negative length");
  const std::string negative_count("I\0\0\0\1N\xff\xff", 8);
  EXPECT_FALSE(decode_pgoutput(negative_count).ok());
  // Truncate claiming 2^31-1 relations with none present: an error, and no huge allocation.
  const std::string huge("T\x7f\xff\xff\xff\0", 6);
  decoded = decode_pgoutput(huge);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message(),
            "pgoutput Truncate: relation id 0 runs past the end of the message");
}

TEST(PgOutputTest, RelationWithEmptyNamespaceIsPgCatalog) {
  const std::string bytes("R\0\0\0\x07\0pg_class\0n\0\0", 18);
  const auto decoded = decode_pgoutput(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  const auto& rel = std::get<Relation>(*decoded);
  EXPECT_EQ(rel.schema, "pg_catalog");
  EXPECT_EQ(rel.name, "pg_class");
  EXPECT_EQ(rel.replica_identity, 'n');
  EXPECT_TRUE(rel.columns.empty());
}

TEST(PgOutputTest, BinaryColumnsAreKeptApartFromText) {
  const std::string bytes("I\0\0\0\1N\0\1b\0\0\0\2\x00\xff", 15);
  const auto decoded = decode_pgoutput(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  const auto& ins = std::get<Insert>(*decoded);
  ASSERT_EQ(ins.new_tuple.size(), 1u);
  EXPECT_EQ(ins.new_tuple[0].kind, ValueKind::kBinary);
  EXPECT_EQ(ins.new_tuple[0].data, std::string_view("\x00\xff", 2));
}

}  // namespace
}  // namespace weft::pgcdc
