// SecretBytes: private key material and passphrases. The memory is wiped (OPENSSL_cleanse)
// whenever it is freed, including the old buffer when it grows, and on destruction.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace trustctl::crypto {

// Wipes `size` bytes at `p` in a way the compiler cannot optimise away.
void secure_wipe(void* p, std::size_t size);
// Wipes the characters of a std::string that held a secret (best effort: copies made before are
// not reachable).
void secure_wipe(std::string& s);

template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // NOLINT: allocator rebind
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept {
    secure_wipe(p, n * sizeof(T));
    ::operator delete(p);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}
  explicit SecretBytes(std::size_t size) : bytes_(size) {}
  ~SecretBytes() = default;  // the allocator wipes
  SecretBytes(SecretBytes&&) noexcept = default;
  SecretBytes& operator=(SecretBytes&&) noexcept = default;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  SecretBytes clone() const { return SecretBytes(view()); }

  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  char* data() { return bytes_.data(); }
  const char* data() const { return bytes_.data(); }
  unsigned char* udata() { return reinterpret_cast<unsigned char*>(bytes_.data()); }
  const unsigned char* udata() const {
    return reinterpret_cast<const unsigned char*>(bytes_.data());
  }
  std::string_view view() const { return {bytes_.data(), bytes_.size()}; }

  void resize(std::size_t n) {
    if (n < bytes_.size()) secure_wipe(bytes_.data() + n, bytes_.size() - n);
    bytes_.resize(n);
  }
  void reserve(std::size_t n) { bytes_.reserve(n); }
  void push_back(char c) { bytes_.push_back(c); }
  void append(std::string_view s) { bytes_.insert(bytes_.end(), s.begin(), s.end()); }
  void clear() { resize(0); }

  // Constant-time comparison.
  bool equals(const SecretBytes& other) const;

 private:
  std::vector<char, WipingAllocator<char>> bytes_;
};

}  // namespace trustctl::crypto
