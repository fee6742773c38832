#pragma once
namespace srsfs {
inline constexpr const char* kVersion = "0.1.0";
}
