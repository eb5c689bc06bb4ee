# Every dependency comes from a Debian 12 package (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED CONFIG)  # header-only parts: Asio, Beast
find_package(nlohmann_json 3.11 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(simdjson REQUIRED CONFIG)  # the rest source's page parsing
find_package(pugixml REQUIRED CONFIG)  # S3 ListObjectsV2 responses (pugixml::pugixml)
find_package(SQLite3 REQUIRED)
find_package(prometheus-cpp REQUIRED CONFIG)
find_package(PostgreSQL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
if(WEFT_JEMALLOC)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()

# Asio's coroutine support and a smaller set of Boost defaults.
add_library(weft_boost INTERFACE)
target_link_libraries(weft_boost INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(weft_boost INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  BOOST_BEAST_USE_STD_STRING_VIEW)
