#include "s3/list_objects.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace weft::s3 {
namespace {

using std::chrono::system_clock;

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  using namespace std::chrono;
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

ListObjectsPage parse_ok(const std::string& body) {
  auto page = parse_list_objects(body);
  EXPECT_TRUE(page.ok()) << page.error().message();
  return page.ok() ? std::move(*page) : ListObjectsPage{};
}

Error parse_error(const std::string& body) {
  auto page = parse_list_objects(body);
  EXPECT_FALSE(page.ok());
  return page.ok() ? Error::permanent("<parsed>") : page.error();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Shaped like the AWS documentation's ListObjectsV2 example, in S3's namespace.
constexpr const char* kAwsResponse = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix/>
  <KeyCount>2</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>my-image.jpg</Key>
    <LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>"fba9dede5f27731c9771645a39863328"</ETag>
    <Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>my-third-image.jpg</Key>
    <LastModified>2009-10-12T17:50:30.123456Z</LastModified>
    <ETag>&quot;1b2cf535f27731c974343645a3985328-2&quot;</ETag>
    <Size>64994</Size>
    <StorageClass>STANDARD_IA</StorageClass>
    <Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner>
  </Contents>
</ListBucketResult>)";

TEST(ListObjects, ParsesAnAwsResponseWithNamespace) {
  const ListObjectsPage page = parse_ok(kAwsResponse);
  EXPECT_EQ(page.name, "bucket");
  EXPECT_EQ(page.prefix, "");
  EXPECT_EQ(page.key_count, 2u);
  EXPECT_FALSE(page.is_truncated);
  EXPECT_FALSE(page.next_continuation_token.has_value());
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "my-image.jpg");
  EXPECT_EQ(page.objects[0].last_modified, utc(2009, 10, 12, 17, 50, 30));
  EXPECT_EQ(page.objects[0].etag, "fba9dede5f27731c9771645a39863328");
  EXPECT_EQ(page.objects[0].size, 434234u);
  EXPECT_EQ(page.objects[0].storage_class, "STANDARD");
  EXPECT_EQ(page.objects[1].etag, "1b2cf535f27731c974343645a3985328-2");
  EXPECT_EQ(page.objects[1].last_modified,
            utc(2009, 10, 12, 17, 50, 30) + std::chrono::microseconds(123456));
  EXPECT_EQ(page.objects[1].storage_class, "STANDARD_IA");
  EXPECT_TRUE(page.common_prefixes.empty());
}

// s3rver and some MinIO versions: no namespace, no StorageClass, no KeyCount.
TEST(ListObjects, ParsesANamespacelessResponse) {
  const ListObjectsPage page = parse_ok(R"(<ListBucketResult>
<Name>weft-test</Name><Prefix>in/</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>
<Contents><Key>in/a.csv</Key><LastModified>2024-03-01T08:09:10Z</LastModified>
<ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag><Size>0</Size></Contents>
</ListBucketResult>)");
  EXPECT_EQ(page.name, "weft-test");
  EXPECT_EQ(page.prefix, "in/");
  EXPECT_EQ(page.key_count, 1u);  // computed: the server sent no KeyCount
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "in/a.csv");
  EXPECT_EQ(page.objects[0].last_modified, utc(2024, 3, 1, 8, 9, 10));
  EXPECT_EQ(page.objects[0].size, 0u);
  EXPECT_EQ(page.objects[0].storage_class, "");
}

TEST(ListObjects, ElementsMatchByLocalNameWhateverThePrefix) {
  const ListObjectsPage page = parse_ok(
      R"(<s3:ListBucketResult xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">)"
      R"(<s3:Name>b</s3:Name><s3:IsTruncated>false</s3:IsTruncated>)"
      R"(<s3:Contents><s3:Key>k</s3:Key><s3:LastModified>2024-01-01T00:00:00.000Z</s3:LastModified>)"
      R"(<s3:Size>7</s3:Size></s3:Contents></s3:ListBucketResult>)");
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "k");
  EXPECT_EQ(page.objects[0].size, 7u);
  EXPECT_EQ(page.objects[0].etag, "");
}

TEST(ListObjects, TruncatedPageCarriesItsContinuationToken) {
  const ListObjectsPage page =
      parse_ok(R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<Name>bucket</Name><Prefix>logs/</Prefix><KeyCount>1</KeyCount><MaxKeys>1</MaxKeys>
<IsTruncated>true</IsTruncated>
<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM+d=</NextContinuationToken>
<Contents><Key>logs/1.json</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>
<ETag>"x"</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
</ListBucketResult>)");
  EXPECT_TRUE(page.is_truncated);
  ASSERT_TRUE(page.next_continuation_token.has_value());
  EXPECT_EQ(*page.next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM+d=");

  // The token goes back as a parameter the signer encodes.
  auto query = list_objects_query({"logs/", page.next_continuation_token, std::nullopt, 1});
  ASSERT_TRUE(query.ok());
  SigningRequest request;
  request.host = "localhost:4568";
  request.path = "/bucket";
  request.region = "us-east-1";
  request.service = "s3";
  request.query = *query;
  auto signed_request = sign(request, {"S3RVER", "S3RVER", ""});
  ASSERT_TRUE(signed_request.ok());
  EXPECT_EQ(signed_request->query_string,
            "continuation-token=1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%2Bd%3D&"
            "list-type=2&max-keys=1&prefix=logs%2F");
}

TEST(ListObjects, TruncatedWithoutTokenIsAnError) {
  const Error error = parse_error(
      "<ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated></ListBucketResult>");
  EXPECT_EQ(error.kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(error.message(), "NextContinuationToken is missing")) << error.message();
}

TEST(ListObjects, KeysWithEntitiesAndSpacesAreDecoded) {
  const ListObjectsPage page = parse_ok(R"(<ListBucketResult><Name>b</Name>
<IsTruncated>false</IsTruncated>
<Contents><Key>R&amp;D/q1 &lt;final&gt; &quot;v2&quot; &#xfc;.csv</Key>
<LastModified>2024-01-01T00:00:00Z</LastModified><Size>1</Size></Contents>
<Contents><Key>  padded  </Key><LastModified>2024-01-01T00:00:00Z</LastModified><Size>2</Size></Contents>
<Contents><Key><![CDATA[a&b]]></Key><LastModified>2024-01-01T00:00:00Z</LastModified><Size>3</Size></Contents>
</ListBucketResult>)");
  ASSERT_EQ(page.objects.size(), 3u);
  EXPECT_EQ(page.objects[0].key, "R&D/q1 <final> \"v2\" \xC3\xBC.csv");
  EXPECT_EQ(page.objects[1].key, "  padded  ");
  EXPECT_EQ(page.objects[2].key, "a&b");
}

TEST(ListObjects, EmptyListing) {
  const ListObjectsPage page =
      parse_ok(R"(<?xml version="1.0" encoding="UTF-8"?>)"
               R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>)"
               R"(<Prefix>nothing/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>)"
               R"(<IsTruncated>false</IsTruncated></ListBucketResult>)");
  EXPECT_EQ(page.prefix, "nothing/");
  EXPECT_EQ(page.key_count, 0u);
  EXPECT_TRUE(page.objects.empty());
  EXPECT_TRUE(page.common_prefixes.empty());
  EXPECT_FALSE(page.is_truncated);
}

TEST(ListObjects, CommonPrefixes) {
  const ListObjectsPage page =
      parse_ok(R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<Name>b</Name><Prefix>photos/</Prefix><KeyCount>3</KeyCount><Delimiter>/</Delimiter>
<IsTruncated>false</IsTruncated>
<Contents><Key>photos/index.html</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>
<ETag>"e"</ETag><Size>5</Size></Contents>
<CommonPrefixes><Prefix>photos/2006/</Prefix></CommonPrefixes>
<CommonPrefixes><Prefix>photos/2007/</Prefix></CommonPrefixes>
</ListBucketResult>)");
  EXPECT_EQ(page.prefix, "photos/");  // not confused with the CommonPrefixes' Prefix
  ASSERT_EQ(page.common_prefixes.size(), 2u);
  EXPECT_EQ(page.common_prefixes[0], "photos/2006/");
  EXPECT_EQ(page.common_prefixes[1], "photos/2007/");
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.key_count, 3u);
}

std::string error_body(const std::string& code, const std::string& message) {
  return R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>)" + code + "</Code><Message>" +
         message + "</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>";
}

TEST(ListObjects, RetryableErrorCodes) {
  for (const std::string code : {"SlowDown", "InternalError", "ServiceUnavailable"}) {
    const Error error = parse_error(error_body(code, "Please reduce your request rate."));
    EXPECT_EQ(error.kind(), ErrorKind::kRetryable) << code;
    EXPECT_EQ(error.message(), "S3 error " + code + ": Please reduce your request rate.");
  }
}

TEST(ListObjects, PermanentErrorCodes) {
  for (const std::string code : {"AccessDenied", "NoSuchBucket", "InvalidAccessKeyId",
                                 "SignatureDoesNotMatch", "SomethingNew"}) {
    const Error error = parse_error(error_body(code, "The request was refused &amp; logged."));
    EXPECT_EQ(error.kind(), ErrorKind::kPermanent) << code;
    EXPECT_EQ(error.message(), "S3 error " + code + ": The request was refused & logged.");
  }
}

TEST(ListObjects, ErrorBodyOnItsOwn) {
  const auto error = parse_error_body(
      R"(<Error xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Code>NoSuchBucket</Code>)"
      R"(<Message>The specified bucket does not exist</Message><BucketName>nope</BucketName></Error>)");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message(), "S3 error NoSuchBucket: The specified bucket does not exist");
  EXPECT_FALSE(parse_error_body(kAwsResponse).has_value());
  EXPECT_FALSE(parse_error_body("<html>502 Bad Gateway</html").has_value());
  EXPECT_FALSE(parse_error_body("").has_value());
}

TEST(ListObjects, MalformedXml) {
  Error error = parse_error("<ListBucketResult><Name>b</Name><Contents><Key>x</Key>");
  EXPECT_EQ(error.kind(), ErrorKind::kPermanent);
  EXPECT_TRUE(contains(error.message(), "not valid XML")) << error.message();

  error = parse_error("");
  EXPECT_TRUE(contains(error.message(), "ListObjectsV2 response")) << error.message();

  error = parse_error("<html><body>502 Bad Gateway</body></html>");
  EXPECT_TRUE(contains(error.message(), "root element is <html>")) << error.message();

  error = parse_error("plain text from a proxy");
  EXPECT_TRUE(contains(error.message(), "plain text from a proxy")) << error.message();
}

TEST(ListObjects, BadFieldsNameTheObject) {
  const std::string head = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents>";
  const std::string tail = "</Contents></ListBucketResult>";
  Error error = parse_error(head + "<Key>a.csv</Key><LastModified>yesterday</LastModified>" +
                            "<Size>1</Size>" + tail);
  EXPECT_TRUE(contains(error.message(), "object 'a.csv': LastModified 'yesterday'"))
      << error.message();
  error = parse_error(head + "<Key>b.csv</Key><LastModified>2024-01-01T00:00:00Z</LastModified>" +
                      "<Size>-1</Size>" + tail);
  EXPECT_TRUE(contains(error.message(), "object 'b.csv': Size '-1'")) << error.message();
  error =
      parse_error(head + "<LastModified>2024-01-01T00:00:00Z</LastModified><Size>1</Size>" + tail);
  EXPECT_TRUE(contains(error.message(), "has no Key")) << error.message();
  error = parse_error("<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>");
  EXPECT_TRUE(contains(error.message(), "IsTruncated 'maybe'")) << error.message();
}

TEST(ListObjects, QueryParameters) {
  auto query = list_objects_query({});
  ASSERT_TRUE(query.ok());
  ASSERT_EQ(query->size(), 1u);
  EXPECT_EQ((*query)[0].name, "list-type");
  EXPECT_EQ((*query)[0].value, "2");

  query = list_objects_query({"in/", std::nullopt, "in/2024-01-01.csv", 1000});
  ASSERT_TRUE(query.ok());
  ASSERT_EQ(query->size(), 4u);
  EXPECT_EQ((*query)[1].name, "prefix");
  EXPECT_EQ((*query)[2].name, "start-after");
  EXPECT_EQ((*query)[2].value, "in/2024-01-01.csv");
  EXPECT_EQ((*query)[3].name, "max-keys");
  EXPECT_EQ((*query)[3].value, "1000");

  for (const int bad : {0, -1, 1001}) {
    query = list_objects_query({"", std::nullopt, std::nullopt, bad});
    ASSERT_FALSE(query.ok()) << bad;
    EXPECT_EQ(query.error().kind(), ErrorKind::kInvalidConfig);
    EXPECT_TRUE(contains(query.error().message(), "between 1 and 1000"));
  }
}

TEST(ListObjects, Iso8601) {
  EXPECT_EQ(parse_iso8601("2024-02-29T23:59:59Z"), utc(2024, 2, 29, 23, 59, 59));
  EXPECT_EQ(parse_iso8601("2024-01-01T00:00:00.5Z"),
            utc(2024, 1, 1, 0, 0, 0) + std::chrono::milliseconds(500));
  EXPECT_EQ(parse_iso8601("2024-01-01T02:00:00+02:00"), utc(2024, 1, 1, 0, 0, 0));
  EXPECT_EQ(parse_iso8601("2023-12-31T23:30:00-00:30"), utc(2024, 1, 1, 0, 0, 0));
  EXPECT_FALSE(parse_iso8601("2023-02-29T00:00:00Z"));  // not a leap year
  EXPECT_FALSE(parse_iso8601("2024-01-01T00:00:00"));   // no zone
  EXPECT_FALSE(parse_iso8601("2024-01-01T24:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2024-01-01T00:00:00.Z"));
  EXPECT_FALSE(parse_iso8601("2024-01-01T00:00:00Zjunk"));
  EXPECT_FALSE(parse_iso8601("Mon, 01 Jan 2024 00:00:00 GMT"));
}

}  // namespace
}  // namespace weft::s3
