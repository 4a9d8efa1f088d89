#pragma once
#include <napi.h>
namespace perfscope {
void InitMaps(Napi::Env env, Napi::Object exports);
}
