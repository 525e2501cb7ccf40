// `ringsim list --json` reads each strategy's parameters from the registry's
// one-line description: every description must parse, and every parameter it
// names, set to its stated default with its stated type, must be one the
// strategy's factory accepts (a misspelt name or a wrong type is rejected).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "error.hpp"
#include "output/json_sink.hpp"
#include "params.hpp"
#include "registry.hpp"

namespace ringsim {
namespace {

TEST(ListParameters, ParsesNameDefaultAndMeaning) {
  const auto p = parse_parameters(
      "vnodes=40 (ring points per unit of weight), epsilon=0.25 (each node holds at most "
      "(1+epsilon) times its share), removal=lifo (lifo: only the last, swap: any)");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].name, "vnodes");
  EXPECT_EQ(p[0].type, "integer");
  EXPECT_EQ(p[0].default_value, "40");
  EXPECT_EQ(p[0].meaning, "ring points per unit of weight");
  EXPECT_EQ(p[1].type, "number");
  EXPECT_EQ(p[1].meaning, "each node holds at most (1+epsilon) times its share");
  EXPECT_EQ(p[2].type, "string");
  EXPECT_EQ(p[2].meaning, "lifo: only the last, swap: any");
  EXPECT_TRUE(parse_parameters("(none)").empty());
  EXPECT_THROW(parse_parameters("just words"), Error);
}

TEST(ListParameters, EveryRegisteredParameterIsAcceptedAtItsDefault) {
  for (const auto& s : strategies()) {
    const auto params = parse_parameters(s.parameters);
    for (const auto& p : params) {
      StrategyParams sp{std::string(s.name)};
      if (p.type == "integer")
        sp.set(p.name, static_cast<std::int64_t>(std::stoll(p.default_value)));
      else if (p.type == "number")
        sp.set(p.name, std::stod(p.default_value));
      else
        sp.set(p.name, p.default_value);
      EXPECT_NO_THROW(make_placement(sp)) << s.name << " " << p.name << "=" << p.default_value;
    }
  }
  // And the check can fail: a name the strategy does not know is rejected.
  StrategyParams wrong{"ring"};
  wrong.set("vnode", std::int64_t{160});
  EXPECT_THROW(make_placement(wrong), Error);
}

TEST(ListParameters, ListJsonNamesEveryStrategy) {
  const auto doc = nlohmann::json::parse(list_json());
  ASSERT_EQ(doc["strategies"].size(), strategies().size());
  for (std::size_t i = 0; i < strategies().size(); ++i)
    EXPECT_EQ(doc["strategies"][i]["name"], std::string(strategies()[i].name));
}

}  // namespace
}  // namespace ringsim
