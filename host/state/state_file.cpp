// Partial-state files: encoding, decoding with byte offsets, atomic writes, run identity and tiling
// checks (docs/state_format.md).
#include "state/state_file.hpp"

#include "mcrev/core/error.hpp"
#include "mcrev/core/sketch.hpp"

#include "scenario/scenario.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

namespace mcrev {

namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

std::uint64_t fnv1a(const unsigned char* p, size_t n, std::uint64_t h = kFnvOffset) {
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= kFnvPrime;
  }
  return h;
}

std::uint64_t double_bits(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

double bits_double(std::uint64_t u) {
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

std::string hex(std::uint64_t v) {
  std::ostringstream o;
  o << "0x" << std::hex << v;
  return o.str();
}

std::string range_text(std::uint64_t a, std::uint64_t b) {
  return "[" + std::to_string(a) + ", " + std::to_string(b) + ")";
}

class Writer {
 public:
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void f64(double x) { u64(double_bits(x)); }
  void str(const std::string& s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_ += s;
  }
  void raw(const char* p, size_t n) { out_.append(p, n); }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

/// Reads [0, limit) of the bytes; every failure names the offset of the field being read.
class Reader {
 public:
  Reader(const std::string& b, size_t limit, const std::string& name) : b_(b), limit_(limit), name_(name) {}
  [[noreturn]] void fail(size_t at, const std::string& why) const {
    throw ScenarioError(name_, "byte " + std::to_string(at) + ": " + why);
  }
  void need(size_t n, const char* what) {
    if (limit_ - pos_ < n)
      fail(pos_, std::string("truncated: the file ends inside ") + what + " (" + std::to_string(n) + " bytes needed, " +
                     std::to_string(limit_ - pos_) + " left)");
  }
  std::uint32_t u32(const char* what) {
    need(4, what);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b_[pos_ + i])) << (8 * i);
    pos_ += 4;
    return v;
  }
  std::uint64_t u64(const char* what) {
    need(8, what);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return v;
  }
  double f64(const char* what) { return bits_double(u64(what)); }
  std::string str(const char* what) {
    const size_t at = pos_;
    const std::uint32_t n = u32(what);
    if (n > limit_ - pos_)
      fail(at, std::string("truncated: the length of ") + what + " (" + std::to_string(n) + " bytes) runs past the end of the file");
    std::string s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  size_t pos() const { return pos_; }
  size_t left() const { return limit_ - pos_; }

 private:
  const std::string& b_;
  size_t limit_;
  std::string name_;
  size_t pos_ = 0;
};

constexpr size_t kFixedHeader = 96;

}  // namespace

std::string encode_state(const StateFile& f) {
  Writer w;
  w.raw(kStateMagic, sizeof kStateMagic);
  w.u32(kStateFormatVersion);
  w.u32(static_cast<std::uint32_t>(f.kind));
  w.u64(f.scenario_hash);
  w.u64(f.seed);
  w.u64(f.samples);
  w.u64(f.state.first);
  w.u64(f.state.end);
  w.f64(f.confidence);
  w.u64(f.chunk_profiles);
  w.f64(f.seconds);
  w.u32(static_cast<std::uint32_t>(f.shape.metrics));
  w.u32(static_cast<std::uint32_t>(f.shape.pairs));
  w.u32(static_cast<std::uint32_t>(f.n_sketches));
  w.u32(static_cast<std::uint32_t>(f.state.entries.size()));
  w.str(f.version);
  w.str(f.scenario_text);
  w.str(f.base_dir);
  w.str(f.source_name);
  w.str(f.device);
  w.str(f.note);
  for (const TreeEntry& e : f.state.entries) {
    w.u64(e.first_leaf);
    w.u32(static_cast<std::uint32_t>(e.level));
    for (double x : e.partial) w.f64(x);
  }
  for (int k = 0; k < f.n_sketches; ++k) {
    const double* s = f.state.sketches.data() + static_cast<size_t>(k) * sketch::kDoubles;
    w.f64(s[0]);
    w.f64(s[1]);
    std::uint32_t nonzero = 0;
    for (int j = 0; j < sketch::kBuckets; ++j) nonzero += s[2 + j] != 0.0;
    w.u32(nonzero);
    for (int j = 0; j < sketch::kBuckets; ++j)
      if (s[2 + j] != 0.0) {
        w.u32(static_cast<std::uint32_t>(j));
        w.f64(s[2 + j]);
      }
  }
  const std::string& b = w.bytes();
  w.u64(fnv1a(reinterpret_cast<const unsigned char*>(b.data()), b.size()));
  return std::move(w.bytes());
}

StateFile decode_state(const std::string& bytes, const std::string& name) {
  if (bytes.size() < kFixedHeader + 8)
    throw ScenarioError(name, "byte " + std::to_string(bytes.size()) + ": truncated: " + std::to_string(bytes.size()) +
                                  " bytes is shorter than any state file (" + std::to_string(kFixedHeader + 8) + ")");
  if (std::memcmp(bytes.data(), kStateMagic, sizeof kStateMagic) != 0)
    throw ScenarioError(name, "byte 0: not an mcrev state file (bad magic)");
  Reader r(bytes, bytes.size() - 8, name);
  r.u64("the magic");
  StateFile f;
  const size_t version_at = r.pos();
  const std::uint32_t format = r.u32("the format version");
  if (format != kStateFormatVersion)
    r.fail(version_at, "format version " + std::to_string(format) + " is not supported (this mcrev reads version " +
                           std::to_string(kStateFormatVersion) + ")");
  const size_t kind_at = r.pos();
  const std::uint32_t kind = r.u32("the kind");
  if (kind != 1 && kind != 2) r.fail(kind_at, "unknown kind " + std::to_string(kind) + " (1 partial, 2 checkpoint)");
  f.kind = static_cast<StateKind>(kind);
  f.scenario_hash = r.u64("the scenario hash");
  f.seed = r.u64("the seed");
  const size_t samples_at = r.pos();
  f.samples = r.u64("the sample count");
  if (f.samples < 1 || f.samples > kMaxSamples)
    r.fail(samples_at, "sample count " + std::to_string(f.samples) + " out of range [1, 1e17]");
  const size_t range_at = r.pos();
  f.state.first = r.u64("the first profile");
  f.state.end = r.u64("the end profile");
  const std::uint64_t first = f.state.first, end = f.state.end;
  if (first > end || end > f.samples || first % kLeafProfiles != 0 || (end % kLeafProfiles != 0 && end != f.samples))
    r.fail(range_at, "impossible profile range " + range_text(first, end) + " for " + std::to_string(f.samples) +
                         " samples");
  const size_t conf_at = r.pos();
  f.confidence = r.f64("the confidence");
  if (!(f.confidence > 0 && f.confidence < 1)) r.fail(conf_at, "confidence outside (0, 1)");
  f.chunk_profiles = r.u64("the chunk size");
  f.seconds = r.f64("the seconds");
  const size_t shape_at = r.pos();
  const std::uint32_t metrics = r.u32("the metric count"), pairs = r.u32("the pair count");
  const std::uint32_t n_sketches = r.u32("the sketch count");
  const std::uint32_t n_entries = r.u32("the entry count");
  if (metrics == 0 || metrics > (1u << 24) || pairs > metrics)
    r.fail(shape_at, "impossible partial shape (" + std::to_string(metrics) + " metrics, " + std::to_string(pairs) + " pairs)");
  f.shape.metrics = static_cast<int>(metrics);
  f.shape.pairs = static_cast<int>(pairs);
  f.version = r.str("the version");
  f.scenario_text = r.str("the scenario text");
  f.base_dir = r.str("the scenario directory");
  f.source_name = r.str("the scenario name");
  f.device = r.str("the device");
  f.note = r.str("the note");
  const size_t per_entry = 12 + 8 * static_cast<size_t>(f.shape.size());
  if (n_entries > r.left() / per_entry)
    r.fail(r.pos(), "truncated: " + std::to_string(n_entries) + " tree entries of " + std::to_string(per_entry) +
                        " bytes do not fit in the " + std::to_string(r.left()) + " bytes left");
  if (n_sketches > r.left() / 20)
    r.fail(r.pos(), "truncated: " + std::to_string(n_sketches) + " sketches do not fit in the " + std::to_string(r.left()) + " bytes left");
  f.n_sketches = static_cast<int>(n_sketches);
  std::uint64_t leaf = first / kLeafProfiles;
  for (std::uint32_t i = 0; i < n_entries; ++i) {
    const size_t at = r.pos();
    TreeEntry e;
    e.first_leaf = r.u64("a tree entry");
    const std::uint32_t level = r.u32("a tree entry");
    if (level > 62) r.fail(at, "tree entry " + std::to_string(i) + ": level " + std::to_string(level) + " > 62");
    e.level = static_cast<int>(level);
    const std::uint64_t span = std::uint64_t(1) << level;
    const std::uint64_t end_leaf = (end + kLeafProfiles - 1) / kLeafProfiles;
    if (e.first_leaf != leaf || (e.first_leaf & (span - 1)) != 0 || e.first_leaf >= end_leaf || span > end_leaf - e.first_leaf)
      r.fail(at, "tree entry " + std::to_string(i) + " (leaf " + std::to_string(e.first_leaf) + ", level " +
                     std::to_string(level) + ") does not continue the range at leaf " + std::to_string(leaf));
    e.partial.resize(f.shape.size());
    for (double& x : e.partial) x = r.f64("a tree entry");
    // Its count must be the profiles of its leaves inside [first, end).
    const std::uint64_t lo = e.first_leaf * kLeafProfiles;
    const std::uint64_t hi = std::min(end, (e.first_leaf + span) * kLeafProfiles);  // span <= end_leaf: no overflow
    if (e.partial[0] != static_cast<double>(hi - lo))
      r.fail(at, "tree entry " + std::to_string(i) + " counts " + std::to_string(e.partial[0]) + " profiles, its leaves hold " +
                     std::to_string(hi - lo));
    leaf = e.first_leaf + span;
    f.state.entries.push_back(std::move(e));
  }
  if (leaf * kLeafProfiles < end)
    r.fail(r.pos(), "the tree entries stop at profile " + std::to_string(leaf * kLeafProfiles) + ", before the range's end " +
                        std::to_string(end));
  f.state.sketches.assign(static_cast<size_t>(n_sketches) * sketch::kDoubles, 0.0);
  for (std::uint32_t k = 0; k < n_sketches; ++k) {
    double* s = f.state.sketches.data() + static_cast<size_t>(k) * sketch::kDoubles;
    s[0] = r.f64("a sketch");
    s[1] = r.f64("a sketch");
    const size_t nz_at = r.pos();
    const std::uint32_t nonzero = r.u32("a sketch");
    if (nonzero > static_cast<std::uint32_t>(sketch::kBuckets) || nonzero > r.left() / 12)
      r.fail(nz_at, "truncated: sketch " + std::to_string(k) + ": " + std::to_string(nonzero) + " buckets do not fit");
    std::int64_t previous = -1;
    for (std::uint32_t j = 0; j < nonzero; ++j) {
      const size_t at = r.pos();
      const std::uint32_t bucket = r.u32("a sketch bucket");
      const double count = r.f64("a sketch bucket");
      if (bucket >= static_cast<std::uint32_t>(sketch::kBuckets) || static_cast<std::int64_t>(bucket) <= previous)
        r.fail(at, "sketch " + std::to_string(k) + ": bucket " + std::to_string(bucket) + " out of order or range");
      if (!(count > 0) || count != std::floor(count) || count > 9007199254740992.0)
        r.fail(at, "sketch " + std::to_string(k) + ": bucket count is not a whole number > 0");
      s[2 + bucket] = count;
      previous = bucket;
    }
  }
  if (r.left() != 0) r.fail(r.pos(), std::to_string(r.left()) + " unexpected bytes before the checksum");
  Reader tail(bytes, bytes.size(), name);
  const size_t sum_at = bytes.size() - 8;
  std::uint64_t stored = 0;
  for (int i = 0; i < 8; ++i) stored |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[sum_at + i])) << (8 * i);
  const std::uint64_t actual = fnv1a(reinterpret_cast<const unsigned char*>(bytes.data()), sum_at);
  if (stored != actual)
    tail.fail(sum_at, "checksum mismatch (stored " + hex(stored) + ", computed " + hex(actual) +
                          " over bytes 0.." + std::to_string(sum_at) + "): the file is corrupted");
  return f;
}

StateFile read_state_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ScenarioError(path, "not a readable file (a directory)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(path, std::string("cannot open state file: ") + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ScenarioError(path, "read error");
  return decode_state(ss.str(), path);
}

void write_file_atomic(const std::string& path, const std::string& bytes, const std::string& what) {
  const std::string tmp = path + ".mcrev-tmp." + std::to_string(::getpid());
  auto fail = [&](const std::string& why) {
    ::unlink(tmp.c_str());
    throw ScenarioError(what, "cannot write '" + path + "': " + why);
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw ScenarioError(what, "cannot write '" + path + "': " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      ::close(fd);
      fail(why);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    fail(why);
  }
  if (::close(fd) != 0) fail(std::strerror(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(std::strerror(errno));
  // Make the rename itself durable.
  const std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::uint64_t scenario_hash(const std::string& scenario_text, const ModelData& md) {
  static const char tag[] = "mcrev-scenario-1";
  std::uint64_t h = fnv1a(reinterpret_cast<const unsigned char*>(tag), sizeof tag);
  unsigned char le[8];
  auto add_u64 = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>((v >> (8 * i)) & 0xff);
    h = fnv1a(le, 8, h);
  };
  add_u64(scenario_text.size());
  h = fnv1a(reinterpret_cast<const unsigned char*>(scenario_text.data()), scenario_text.size(), h);
  add_u64(md.arena.size());
  for (double x : md.arena) add_u64(double_bits(x));
  add_u64(static_cast<std::uint64_t>(md.n_values));
  add_u64(md.mechanisms.size());
  // The built model itself, field by field (no padding bytes): distributions whose parameters live
  // outside the arena (uniform bounds, closed-form equilibria) must change the hash too.
  auto add_i = [&](long long v) { add_u64(static_cast<std::uint64_t>(v)); };
  auto add_d = [&](double x) { add_u64(double_bits(x)); };
  auto add_dist = [&](const Distribution& d) {
    add_i(static_cast<int>(d.kind));
    add_d(d.low);
    add_d(d.high);
    for (double x : d.p) add_d(x);
    add_i(d.table);
    add_i(d.table_n);
  };
  for (const Group& g : md.groups) {
    add_i(g.first);
    add_i(g.count);
    add_dist(g.dist);
    add_i(g.demand);
    add_i(g.first_value);
    add_i(g.utility);
    add_d(g.size);
    add_i(g.bundle);
    add_i(g.role);
    add_d(g.risk);
  }
  for (const Mechanism& m : md.mechanisms) {
    add_i(static_cast<int>(m.kind));
    add_d(m.reserve);
    add_i(m.group_reserves);
    add_d(m.price);
    add_d(m.weight);
    add_d(m.seller_value);
    add_i(m.rule);
    add_i(m.strategies);
    add_i(m.data);
  }
  for (const Strategy& s : md.strategies) {
    add_i(static_cast<int>(s.kind));
    for (double x : {s.factor, s.entry, s.w0, s.w1, s.w_lin, s.w_lo, s.w_hi, s.eps_lo, s.eps_hi, s.low, s.width,
                     s.t_entry, s.floor})
      add_d(x);
    add_i(s.table);
    add_i(s.table_n);
    add_i(s.slopes);
    add_i(s.n);
  }
  // A variance-reduction method (docs/variance_reduction.md) changes what a partial holds: hashed when
  // set, so plain Monte Carlo hashes stay as they were.
  if (md.vr.method != 0) {
    add_i(md.vr.method);
    add_i(md.vr.n_controls);
    for (int c : md.vr.controls) add_i(c);
    add_i(md.vr.sobol_dims);
  }
  return h;
}

Scenario state_scenario(const StateFile& f) {
  Scenario sc = f.scenario_text.empty() && f.source_name.empty()
                    ? default_scenario()
                    : parse_scenario(f.scenario_text, f.base_dir.empty() ? "." : f.base_dir, f.source_name);
  sc.samples = f.samples;
  sc.seed = f.seed;
  sc.confidence = f.confidence;
  return sc;
}

void check_same_run(const StateFile& a, const std::string& name_a, const StateFile& b, const std::string& name_b,
                    bool check_confidence) {
  MCREV_EXPECTS(a.version == b.version, name_b,
                "written by " + b.version + ", but " + name_a + " by " + a.version +
                    ": states of different mcrev versions are not combined (their bits may differ)");
  MCREV_EXPECTS(a.scenario_hash == b.scenario_hash, name_b,
                "computed for another scenario than " + name_a + " (scenario hash " + hex(b.scenario_hash) + " vs " +
                    hex(a.scenario_hash) + ")");
  MCREV_EXPECTS(a.seed == b.seed, name_b,
                "seed " + std::to_string(b.seed) + ", but " + name_a + " has seed " + std::to_string(a.seed));
  MCREV_EXPECTS(a.samples == b.samples, name_b,
                "a run of " + std::to_string(b.samples) + " profiles, but " + name_a + " of " + std::to_string(a.samples));
  MCREV_EXPECTS(a.shape.metrics == b.shape.metrics && a.shape.pairs == b.shape.pairs && a.n_sketches == b.n_sketches,
                name_b, "its partials have another shape than " + name_a + "'s");
  if (check_confidence)
    MCREV_EXPECTS(a.confidence == b.confidence, name_b,
                  "confidence " + std::to_string(b.confidence) + ", but " + name_a + " has " + std::to_string(a.confidence));
}

void check_tiling(std::vector<StateFile>& files, std::vector<std::string>& names) {
  std::vector<size_t> order(files.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t i, size_t j) { return files[i].state.first < files[j].state.first; });
  std::vector<StateFile> f2;
  std::vector<std::string> n2;
  for (size_t i : order) {
    f2.push_back(std::move(files[i]));
    n2.push_back(std::move(names[i]));
  }
  files = std::move(f2);
  names = std::move(n2);
  const std::uint64_t samples = files.empty() ? 0 : files[0].samples;
  std::uint64_t covered = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const RangeState& s = files[i].state;
    if (s.first > covered)
      throw ScenarioError("merge", "gap: profiles " + range_text(covered, s.first) + " are in no partial (" +
                                       (i == 0 ? std::string("the first, ") + names[i] + ", starts at " + std::to_string(s.first)
                                               : "between " + names[i - 1] + " " + range_text(files[i - 1].state.first, covered) +
                                                     " and " + names[i] + " " + range_text(s.first, s.end)) +
                                       ")");
    if (s.first < covered)
      throw ScenarioError("merge", "overlap: " + names[i - 1] + " " + range_text(files[i - 1].state.first, covered) + " and " +
                                       names[i] + " " + range_text(s.first, s.end) + " both hold profiles " +
                                       range_text(s.first, std::min(covered, s.end)));
    covered = s.end;
  }
  if (covered < samples)
    throw ScenarioError("merge", "gap: profiles " + range_text(covered, samples) + " are in no partial (the run has " +
                                     std::to_string(samples) + " profiles; the last, " + names.back() + ", ends at " +
                                     std::to_string(covered) + ")");
}

}  // namespace mcrev
