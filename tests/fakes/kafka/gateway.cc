#include "fakes/kafka/gateway.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <deque>
#include <map>
#include <thread>

#include "fakes/kafka/kafka_frames.h"

namespace weft::fakes::kafka {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
// Kafka's default socket.request.max.bytes: a larger size prefix is garbage, not a frame.
constexpr std::uint32_t kMaxFrame = 100 * 1024 * 1024;

// What every connection of the gateway reads and never changes once serving.
struct Shared {
  // None: plaintext. Mutable: each TLS stream takes a (reference-counted) hold on it.
  mutable std::optional<ssl::context> tls;
  std::vector<SaslUser> users;  // empty: no SASL
  AddressMap gateways;          // mock broker port -> gateway address
};

// Reads one size-prefixed frame; an empty optional with `ec` set at the end of the stream or
// on a bad size.
template <typename Stream>
asio::awaitable<std::optional<std::string>> read_frame(Stream& stream, error_code& ec) {
  unsigned char size_bytes[4];
  std::tie(ec, std::ignore) = co_await asio::async_read(stream, asio::buffer(size_bytes), kAwait);
  if (ec) co_return std::nullopt;
  const std::uint32_t size = std::uint32_t{size_bytes[0]} << 24 |
                             std::uint32_t{size_bytes[1]} << 16 |
                             std::uint32_t{size_bytes[2]} << 8 | size_bytes[3];
  if (size == 0 || size > kMaxFrame) {
    ec = asio::error::message_size;
    co_return std::nullopt;
  }
  std::string frame(size, '\0');
  std::tie(ec, std::ignore) = co_await asio::async_read(stream, asio::buffer(frame), kAwait);
  if (ec) co_return std::nullopt;
  co_return frame;
}

// One client connection and its connection to the mock broker. Lives on the gateway's thread
// only; its coroutines hold it by shared_ptr.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket client, tcp::endpoint broker, std::string name, const Shared& shared)
      : shared_(shared),
        name_(std::move(name)),
        broker_endpoint_(broker),
        plain_(std::move(client)),
        broker_(plain_.get_executor()),
        sasl_(shared.users) {
    if (shared_.tls) {
      tls_ = std::make_unique<ssl::stream<tcp::socket>>(std::move(plain_), *shared_.tls);
    }
  }

  void start() {
    asio::co_spawn(
        broker_.get_executor(), [self = shared_from_this()] { return self->serve(); },
        asio::detached);
  }

 private:
  asio::awaitable<void> serve() {
    error_code ec;
    if (tls_) {
      std::tie(ec) = co_await tls_->async_handshake(ssl::stream_base::server, kAwait);
      if (ec) co_return report("TLS handshake failed: " + ec.message());
    }
    std::tie(ec) = co_await broker_.async_connect(broker_endpoint_, kAwait);
    if (ec) co_return report("cannot reach the mock broker: " + ec.message());
    broker_.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(
        broker_.get_executor(), [self = shared_from_this()] { return self->relay_responses(); },
        asio::detached);
    while (!closed_) {
      std::optional<std::string> frame = co_await read_client_frame(ec);
      if (!frame) co_return end("client", ec);
      const std::optional<RequestHeader> header = parse_request_header(*frame);
      if (!header) co_return report("a request frame shorter than its header");
      if (header->api_key == api::kSaslHandshake || header->api_key == api::kSaslAuthenticate) {
        answer_sasl(*header, *frame);
        continue;
      }
      if (!shared_.users.empty() && !sasl_.authenticated() &&
          header->api_key != api::kApiVersions) {
        co_return report("request api_key " + std::to_string(header->api_key) +
                         " before SASL authentication: closing");
      }
      pending_[header->correlation_id] = *header;
      const std::string out = framed(*frame);
      std::tie(ec, std::ignore) = co_await asio::async_write(broker_, asio::buffer(out), kAwait);
      if (ec) co_return end("mock broker", ec);
    }
  }

  asio::awaitable<void> relay_responses() {
    error_code ec;
    while (!closed_) {
      std::optional<std::string> frame = co_await read_frame(broker_, ec);
      if (!frame) co_return end("mock broker", ec);
      const std::optional<std::int32_t> id = response_correlation_id(*frame);
      const auto request = id ? pending_.find(*id) : pending_.end();
      if (request == pending_.end()) {
        send(std::move(*frame));  // not ours to rewrite (should not happen)
        continue;
      }
      const RequestHeader header = request->second;
      pending_.erase(request);
      Rewritten rewritten;
      switch (header.api_key) {
        case api::kApiVersions:
          rewritten = rewrite_api_versions(*frame, header.api_version);
          break;
        case api::kMetadata:
          rewritten = rewrite_metadata(*frame, header.api_version, shared_.gateways);
          break;
        case api::kFindCoordinator:
          rewritten = rewrite_find_coordinator(*frame, header.api_version, shared_.gateways);
          break;
        default:
          rewritten.frame = std::move(*frame);
      }
      if (!rewritten.ok()) co_return report(rewritten.error);
      send(std::move(rewritten.frame));
    }
  }

  void answer_sasl(const RequestHeader& header, std::string_view frame) {
    if (header.api_key == api::kSaslHandshake) {
      const std::optional<std::string> mechanism = parse_sasl_handshake(frame);
      if (header.api_version > kMaxSaslHandshakeVersion || !mechanism) {
        return report("unparseable SaslHandshake v" + std::to_string(header.api_version));
      }
      const std::int16_t error = sasl_.handshake(*mechanism);  // no users: no mechanism
      if (error != kafka_error::kNone) {
        std::fprintf(stderr, "weft-fake-kafka: %s: SASL mechanism %s refused (error %d)\n",
                     name_.c_str(), mechanism->c_str(), error);
      }
      send(sasl_handshake_response(header.correlation_id, error, sasl_.mechanisms()));
      return;
    }
    const std::optional<std::string> token = parse_sasl_authenticate(frame);
    if (header.api_version > kMaxSaslAuthenticateVersion || !token) {
      return report("unparseable SaslAuthenticate v" + std::to_string(header.api_version));
    }
    const SaslSession::Result result = sasl_.authenticate(*token);
    send(sasl_authenticate_response(header.correlation_id, header.api_version, result.error,
                                    result.error_message, result.reply));
    if (result.error != kafka_error::kNone) {
      // As a broker does: the answer says why, then the connection is closed.
      std::fprintf(stderr, "weft-fake-kafka: %s: %s: %s%s%s\n", name_.c_str(),
                   sasl_.describe().c_str(), result.error_message.c_str(),
                   result.reason.empty() ? "" : ": ", result.reason.c_str());
      close_after_sending_ = true;
    }
  }

  // Queues a response frame for the client; frames go out whole and in order.
  void send(std::string frame) {
    if (closed_) return;
    outbox_.push_back(framed(frame));
    if (writing_) return;
    writing_ = true;
    asio::co_spawn(
        broker_.get_executor(), [self = shared_from_this()] { return self->write(); },
        asio::detached);
  }

  asio::awaitable<void> write() {
    while (!outbox_.empty() && !closed_) {
      const error_code ec = co_await write_client(asio::buffer(outbox_.front()));
      if (ec) co_return end("client", ec);
      outbox_.pop_front();
    }
    writing_ = false;
    if (close_after_sending_) close();
  }

  // (Not `tls_ ? co_await a : co_await b`: GCC 12 miscompiles co_await in a conditional.)
  asio::awaitable<std::optional<std::string>> read_client_frame(error_code& ec) {
    if (tls_) co_return co_await read_frame(*tls_, ec);
    co_return co_await read_frame(plain_, ec);
  }

  asio::awaitable<error_code> write_client(asio::const_buffer data) {
    error_code ec;
    if (tls_) {
      std::tie(ec, std::ignore) = co_await asio::async_write(*tls_, data, kAwait);
    } else {
      std::tie(ec, std::ignore) = co_await asio::async_write(plain_, data, kAwait);
    }
    co_return ec;
  }

  void end(const char* side, const error_code& ec) {
    if (!closed_ && ec != asio::error::eof && ec != asio::error::operation_aborted &&
        ec != asio::error::connection_reset && ec != ssl::error::stream_truncated) {
      std::fprintf(stderr, "weft-fake-kafka: %s: %s: %s\n", name_.c_str(), side,
                   ec.message().c_str());
    }
    close();
  }

  void report(const std::string& why) {
    std::fprintf(stderr, "weft-fake-kafka: %s: %s\n", name_.c_str(), why.c_str());
    close();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    (tls_ ? tls_->lowest_layer() : plain_).close(ignored);
    broker_.close(ignored);
  }

  const Shared& shared_;
  const std::string name_;  // "gateway 127.0.0.1:P, client 127.0.0.1:Q"
  const tcp::endpoint broker_endpoint_;
  tcp::socket plain_;                              // the client, without TLS
  std::unique_ptr<ssl::stream<tcp::socket>> tls_;  // the client, with TLS
  tcp::socket broker_;
  SaslSession sasl_;
  // Forwarded requests awaiting responses. A request that gets none (Produce with acks=0)
  // stays until the connection ends: a few bytes each, for a test tool.
  std::map<std::int32_t, RequestHeader> pending_;
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool close_after_sending_ = false;
  bool closed_ = false;
};

// "host:port" -> endpoint (numeric hosts only: the mock brokers listen on 127.0.0.1).
std::optional<tcp::endpoint> endpoint_of(const std::string& address) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  error_code ec;
  const asio::ip::address host = asio::ip::make_address(address.substr(0, colon), ec);
  const int port = std::atoi(address.c_str() + colon + 1);
  if (ec || port <= 0 || port > 65535) return std::nullopt;
  return tcp::endpoint(host, static_cast<unsigned short>(port));
}

}  // namespace

struct Gateway::Impl {
  Shared shared;
  asio::io_context io;  // after `shared`, which its coroutines use: destroyed first
  std::vector<tcp::acceptor> acceptors;
  std::vector<tcp::endpoint> brokers;
  std::thread thread;

  asio::awaitable<void> accept(std::size_t index) {
    tcp::acceptor& acceptor = acceptors[index];
    const tcp::endpoint gateway = acceptor.local_endpoint();
    for (;;) {
      auto [ec, client] = co_await acceptor.async_accept(kAwait);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      error_code ignored;
      client.set_option(tcp::no_delay(true), ignored);
      const tcp::endpoint peer = client.remote_endpoint(ignored);
      const std::string name = "gateway " + gateway.address().to_string() + ":" +
                               std::to_string(gateway.port()) + ", client " +
                               peer.address().to_string() + ":" + std::to_string(peer.port());
      std::make_shared<Connection>(std::move(client), brokers[index], name, shared)->start();
    }
  }
};

std::unique_ptr<Gateway> Gateway::start(GatewayOptions options, std::string& error) {
  auto impl = std::make_unique<Impl>();
  impl->shared.users = std::move(options.users);
  if (!options.tls_certificate_pem.empty()) {
    ssl::context& tls = impl->shared.tls.emplace(ssl::context::tls_server);
    error_code ec;
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                    ec);
    if (!ec) tls.use_certificate_chain(asio::buffer(options.tls_certificate_pem), ec);
    if (!ec) tls.use_private_key(asio::buffer(options.tls_key_pem), ssl::context::pem, ec);
    if (ec) {
      error = "TLS server context: " + ec.message();
      return nullptr;
    }
  }
  for (const std::string& broker : options.brokers) {
    const std::optional<tcp::endpoint> endpoint = endpoint_of(broker);
    if (!endpoint) {
      error = "cannot read the mock broker address '" + broker + "'";
      return nullptr;
    }
    error_code ec;
    tcp::acceptor& acceptor = impl->acceptors.emplace_back(impl->io);
    const tcp::endpoint any_port(asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(any_port.protocol(), ec);
    if (!ec) acceptor.bind(any_port, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    const tcp::endpoint gateway = ec ? tcp::endpoint() : acceptor.local_endpoint(ec);
    if (ec) {
      error = "cannot listen on 127.0.0.1: " + ec.message();
      return nullptr;
    }
    impl->shared.gateways[endpoint->port()] = {gateway.address().to_string(), gateway.port()};
    impl->brokers.push_back(*endpoint);
  }
  for (std::size_t i = 0; i < impl->acceptors.size(); ++i) {
    asio::co_spawn(impl->io, impl->accept(i), asio::detached);
  }
  impl->thread = std::thread([&io = impl->io] { io.run(); });
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() {
  impl_->io.stop();
  impl_->thread.join();
}

std::string Gateway::bootstrap() const {
  std::string out;
  for (const tcp::endpoint& broker : impl_->brokers) {
    const Address& gateway = impl_->shared.gateways.at(broker.port());
    out += (out.empty() ? "" : ",") + gateway.host + ":" + std::to_string(gateway.port);
  }
  return out;
}

}  // namespace weft::fakes::kafka
