// The JSON value on top of nlohmann-json: the bounds that protect the model loader, and the
// output format the CLI's --json relies on.
#include <gtest/gtest.h>

#include <string>

#include "core/base/Error.h"
#include "core/engine/Json.h"

using mitoseg::Error;
using mitoseg::Json;

TEST(JsonBounds, DepthSizeAndRangeAreBounded)
{
    const auto nested = [](int depth) { return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']'); };
    EXPECT_NO_THROW(Json::parse(nested(32)));
    EXPECT_THROW(Json::parse(nested(34)), Error);
    EXPECT_THROW(Json::parse(std::string(100000, '{')), Error);
    std::string huge = "\"" + std::string((std::size_t{16} << 20) + 1, 'a') + "\"";
    EXPECT_THROW(Json::parse(huge), Error);
    EXPECT_THROW(Json::parse("-1e400"), Error);
    EXPECT_THROW(Json::parse("[1] [2]"), Error);
    EXPECT_THROW(Json::parse("{\"a\": 1,}"), Error);
}

TEST(JsonBounds, WritesWholeNumbersWithoutAFractionAndSurvivesBadBytes)
{
    Json j = Json::object();
    j["count"] = 165;
    j["iou"] = 0.8849;
    j["big"] = static_cast<std::int64_t>(1) << 40;
    j["name"] = std::string("mito\xff");
    EXPECT_EQ(Json::parse(j.dump()).number("iou", 0), 0.8849);
    const std::string text = j.dump();
    EXPECT_NE(text.find("\"count\":165"), std::string::npos) << text;
    EXPECT_NE(text.find("\"big\":1099511627776"), std::string::npos) << text;
    EXPECT_NE(text.find("\"iou\":0.8849"), std::string::npos) << text;
    EXPECT_EQ(Json::parse(j.dump(2)).number("count", 0), 165);
    // Typed access still says what was expected.
    try {
        Json::parse("{\"a\": \"x\"}").number("a", 0);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("'a' should be a number"), std::string::npos) << e.what();
    }
}
