#include "frame.h"

namespace vxprobe {
void InitFrame(Napi::Env env, Napi::Object exports) {}
}  // namespace vxprobe
