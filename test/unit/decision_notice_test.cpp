#include <gtest/gtest.h>

#include <string>

#include "core/decision_notice.hpp"

namespace av3 {
namespace {

DecisionNotice confirmed_at(int tables) {
    DecisionNotice notice;
    notice.booking_id = Uuid::from_number(1);
    notice.restaurant_id = Uuid::from_number(2);
    notice.state = "confirmed";
    notice.status = "confirmed";
    notice.version = 3;
    notice.pipeline = "v3";
    for (int i = 0; i < tables; ++i) {
        notice.tables.push_back(Uuid::from_number(100 + i));
    }
    return notice;
}

TEST(DecisionNotice, NamesTheBookingItsStateAndItsTables) {
    EXPECT_EQ(render_decision_notice(confirmed_at(2)),
              "{\"booking_id\":\"00000000-0000-0000-0000-000000000001\","
              "\"restaurant_id\":\"00000000-0000-0000-0000-000000000002\","
              "\"state\":\"confirmed\",\"status\":\"confirmed\",\"version\":3,\"pipeline\":\"v3\","
              "\"tables\":[\"00000000-0000-0000-0000-000000000064\","
              "\"00000000-0000-0000-0000-000000000065\"]}");
}

TEST(DecisionNotice, AManualReviewSaysWhyAndHasNoTables) {
    DecisionNotice notice = confirmed_at(0);
    notice.state = "manual_review";
    notice.status = "pending";
    notice.reason = "party_too_large";
    const std::string payload = render_decision_notice(notice);
    EXPECT_NE(payload.find("\"reason\":\"party_too_large\""), std::string::npos);
    EXPECT_NE(payload.find("\"tables\":[]"), std::string::npos);
}

TEST(DecisionNotice, StaysUnderTheNotifyLimitAndSaysWhenTablesAreLeftOut) {
    const std::string payload = render_decision_notice(confirmed_at(500));
    EXPECT_LE(payload.size(), kDecisionPayloadMaxBytes);
    EXPECT_NE(payload.find("\"tables_truncated\":true}"), std::string::npos);
    EXPECT_EQ(render_decision_notice(confirmed_at(20)).find("tables_truncated"), std::string::npos);
}

TEST(DecisionNotice, ALongReasonIsShortenedWithoutSplittingACharacter) {
    DecisionNotice notice = confirmed_at(1);
    const std::string reason = std::string(999, 'x') + "\xc3\xa9" + std::string(3000, 'y');
    notice.reason = reason;
    const std::string payload = render_decision_notice(notice);
    EXPECT_LT(payload.size(), 1400u);
    EXPECT_NE(payload.find(std::string(999, 'x') + "...\""), std::string::npos);
    EXPECT_NE(payload.find("\"tables\":[\"00000000-0000-0000-0000-000000000064\"]"),
              std::string::npos);
}

}  // namespace
}  // namespace av3
