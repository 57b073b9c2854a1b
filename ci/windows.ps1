# ci/windows.ps1 — build with MSVC and run every test on real Windows.
#
# For forks on a Windows runner (.github/workflows/windows.yml) or a
# developer machine with Visual Studio 2022 and vcpkg. Under Wine, which is
# what ci/test.sh uses, DACL enforcement, pipe-name squatting and the
# impersonation level a client grants cannot be shown; here they are
# (tests/windows/test_npipe_real_windows.c).
#
#   pwsh ci/windows.ps1              Debug build and tests
#   pwsh ci/windows.ps1 -Config Release
param([string]$Config = "Debug")
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

# CMocka for the tests, from vcpkg (preinstalled on GitHub's Windows images;
# set VCPKG_ROOT elsewhere).
$vcpkg = if ($env:VCPKG_ROOT) { $env:VCPKG_ROOT } else { $env:VCPKG_INSTALLATION_ROOT }
if (-not $vcpkg) { throw "vcpkg not found: set VCPKG_ROOT" }
& "$vcpkg/vcpkg" install cmocka:x64-windows
if ($LASTEXITCODE -ne 0) { throw "vcpkg install cmocka failed" }

$build = "build/msvc"
cmake -S . -B $build -G "Visual Studio 17 2022" -A x64 `
  "-DCMAKE_TOOLCHAIN_FILE=$vcpkg/scripts/buildsystems/vcpkg.cmake"
if ($LASTEXITCODE -ne 0) { throw "configure failed" }
cmake --build $build --config $Config --parallel
if ($LASTEXITCODE -ne 0) { throw "build failed" }
ctest --test-dir $build -C $Config --output-on-failure
if ($LASTEXITCODE -ne 0) { throw "tests failed" }
