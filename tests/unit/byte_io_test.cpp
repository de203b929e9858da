#include "ml/byte_io.hpp"

#include <gtest/gtest.h>

namespace agentlearn::ml {
namespace {

TEST(ByteIo, RoundTripsScalarsStringsAndVectors) {
  ByteWriter w("AL-TEST", 3);
  w.put<int32_t>(-7);
  w.put<double>(2.5);
  w.put_string("hello");
  w.put_vector(std::vector<float>{1.f, 2.f, 3.f});
  std::string blob = std::move(w).take();

  ByteReader r(blob, "AL-TEST", 1, 3);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.version(), 3u);
  EXPECT_EQ(r.get<int32_t>(), -7);
  EXPECT_EQ(r.get<double>(), 2.5);
  EXPECT_EQ(r.get_string(), "hello");
  EXPECT_EQ(r.get_vector<float>(), (std::vector<float>{1.f, 2.f, 3.f}));
  EXPECT_TRUE(r.finish().ok());
}

TEST(ByteIo, RefusesWrongMagicVersionTruncationAndTrailingBytes) {
  ByteWriter w("AL-TEST", 2);
  w.put_vector(std::vector<double>(10, 1.0));
  std::string blob = std::move(w).take();

  EXPECT_FALSE(ByteReader(blob, "AL-OTHER", 1, 2).ok());
  ByteReader newer(blob, "AL-TEST", 3, 4);
  EXPECT_FALSE(newer.ok());
  EXPECT_NE(newer.status().message().find("format version 2"), std::string::npos);

  ByteReader cut(std::string_view(blob).substr(0, blob.size() - 3), "AL-TEST", 1, 2);
  ASSERT_TRUE(cut.ok());
  EXPECT_TRUE(cut.get_vector<double>().empty());
  EXPECT_FALSE(cut.finish().ok());

  const std::string with_trailing = blob + "xy";  // the reader views it: it must outlive the reader
  ByteReader trailing(with_trailing, "AL-TEST", 1, 2);
  trailing.get_vector<double>();
  EXPECT_FALSE(trailing.finish().ok());

  EXPECT_FALSE(ByteReader("", "AL-TEST", 1, 2).ok());
  EXPECT_FALSE(ByteReader(std::string(64, '\xff'), "AL-TEST", 1, 2).ok());
}

TEST(ByteIo, HostileVectorLengthIsRefusedWithoutAllocating) {
  ByteWriter w("AL-TEST", 1);
  w.put<uint64_t>(uint64_t{1} << 60);  // a length no blob can hold
  std::string blob = std::move(w).take();
  ByteReader r(blob, "AL-TEST", 1, 1);
  EXPECT_TRUE(r.get_vector<double>().empty());
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace agentlearn::ml
