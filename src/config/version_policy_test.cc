#include "config/version_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

config::ModelVersionPolicy Latest(uint32_t n) {
  config::ModelVersionPolicy policy;
  policy.mutable_latest()->set_num_versions(n);
  return policy;
}

TEST(VersionPolicyTest, NoPolicyServesOnlyTheLatestVersion) {
  EXPECT_THAT(SelectVersions(config::ModelVersionPolicy(), {2, 10, 3}),
              ElementsAre(10));
}

TEST(VersionPolicyTest, LatestNPicksTheHighestNAscending) {
  EXPECT_THAT(SelectVersions(Latest(2), {3, 1, 2}), ElementsAre(2, 3));
  EXPECT_THAT(SelectVersions(Latest(1), {1, 20, 3}), ElementsAre(20));
}

TEST(VersionPolicyTest, LatestNWithFewerVersionsServesAll) {
  EXPECT_THAT(SelectVersions(Latest(5), {2, 1}), ElementsAre(1, 2));
}

TEST(VersionPolicyTest, LatestZeroIsTreatedAsOne) {
  EXPECT_THAT(SelectVersions(Latest(0), {1, 2}), ElementsAre(2));
}

TEST(VersionPolicyTest, AllServesEveryVersionSortedAndUnique) {
  config::ModelVersionPolicy policy;
  policy.mutable_all();
  EXPECT_THAT(SelectVersions(policy, {5, 1, 5, 0, 3}), ElementsAre(0, 1, 3, 5));
}

TEST(VersionPolicyTest, SpecificServesListedVersionsThatExist) {
  config::ModelVersionPolicy policy;
  policy.mutable_specific()->add_versions(3);
  policy.mutable_specific()->add_versions(1);
  policy.mutable_specific()->add_versions(7);  // not on disk: skipped
  EXPECT_THAT(SelectVersions(policy, {1, 2, 3}), ElementsAre(1, 3));
}

TEST(VersionPolicyTest, SpecificWithNoneOnDiskSelectsNothing) {
  config::ModelVersionPolicy policy;
  policy.mutable_specific()->add_versions(9);
  EXPECT_THAT(SelectVersions(policy, {1, 2}), IsEmpty());
}

TEST(VersionPolicyTest, NoVersionsOnDiskSelectsNothing) {
  EXPECT_THAT(SelectVersions(Latest(3), {}), IsEmpty());
  config::ModelVersionPolicy all;
  all.mutable_all();
  EXPECT_THAT(SelectVersions(all, {}), IsEmpty());
}

TEST(VersionPolicyTest, DuplicateFoldersCountOnce) {
  // "1" and "01" both parse as version 1; latest 2 must still give two.
  EXPECT_THAT(SelectVersions(Latest(2), {1, 1, 2, 2}), ElementsAre(1, 2));
}

}  // namespace
}  // namespace inferd
