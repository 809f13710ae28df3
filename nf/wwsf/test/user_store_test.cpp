#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "wimpu/wwsf/user_store.hpp"

namespace wimpu::wwsf {
namespace {

namespace fs = std::filesystem;

class UserStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wimpu_users_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    path_ = (dir_ / "users.json").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string path_;
};

TEST_F(UserStoreTest, HashVerifiesOnlyTheRightPassword) {
  auto h = hash_password("correct horse");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_NE(h->find("m=32768,t=2"), std::string::npos);
  EXPECT_TRUE(verify_password(*h, "correct horse"));
  EXPECT_FALSE(verify_password(*h, "correct horsE"));
  EXPECT_FALSE(verify_password("garbage", "x"));
}

TEST_F(UserStoreTest, AddSaveLoadRemove) {
  auto store = UserStore::load(path_);
  ASSERT_TRUE(store);  // Missing file: empty store.
  EXPECT_TRUE(store->users().empty());
  ASSERT_TRUE(store->add(User{"alice", "$argon2id$x", "blk.example", true}));
  ASSERT_TRUE(store->add(User{"bob", "$argon2id$y", "", false}));
  EXPECT_FALSE(store->add(User{"alice", "h", "", true}));       // Taken.
  EXPECT_FALSE(store->add(User{"bad name", "h", "", true}));    // Invalid.
  ASSERT_TRUE(store->save());
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = UserStore::load(path_);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->users().size(), 2u);
  EXPECT_EQ(again->find("alice")->block, "blk.example");
  EXPECT_FALSE(again->find("bob")->enabled);
  ASSERT_TRUE(again->remove("alice"));
  EXPECT_FALSE(again->remove("alice"));
  ASSERT_TRUE(again->save());
  EXPECT_EQ(UserStore::load(path_)->users().size(), 1u);
  // No temp files left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(UserStoreTest, CorruptFileIsAnErrorAndDirectoryKeepsLastGood) {
  auto store = UserStore::load(path_);
  ASSERT_TRUE(store->add(User{"alice", "h", "", true}));
  ASSERT_TRUE(store->save());
  UserDirectory dir(path_);
  EXPECT_TRUE(dir.find("alice"));
  { std::ofstream(path_) << "{ not json"; }
  EXPECT_FALSE(UserStore::load(path_));
  EXPECT_TRUE(dir.find("alice"));  // Last good snapshot.
  auto fresh = UserStore::load(dir_.string() + "/other.json");
  ASSERT_TRUE(fresh->add(User{"carol", "h", "", true}));
  ASSERT_TRUE(fresh->save());
  fs::rename(dir_ / "other.json", path_);  // An editor replaces the file: picked up.
  EXPECT_FALSE(dir.find("alice"));
  EXPECT_TRUE(dir.find("carol"));
  EXPECT_EQ(dir.size(), 1u);
}

TEST_F(UserStoreTest, DirectoryChecksTheFileAtMostOncePerInterval) {
  auto store = UserStore::load(path_);
  ASSERT_TRUE(store->add(User{"alice", "h", "", true}));
  ASSERT_TRUE(store->save());
  auto clock = std::make_shared<common::FakeClock>();
  UserDirectory dir(path_, clock, std::chrono::milliseconds(1000));
  EXPECT_TRUE(dir.find("alice"));
  ASSERT_TRUE(store->remove("alice"));
  ASSERT_TRUE(store->save());
  clock->advance(std::chrono::milliseconds(999));
  EXPECT_TRUE(dir.find("alice"));  // Not re-checked yet.
  clock->advance(std::chrono::milliseconds(1));
  EXPECT_FALSE(dir.find("alice"));
}

TEST_F(UserStoreTest, LockIsExclusive) {
  auto lock = UserStoreLock::acquire(path_);
  ASSERT_TRUE(lock);
  EXPECT_TRUE(fs::exists(path_ + ".lock"));
}

}  // namespace
}  // namespace wimpu::wwsf
