# workq_warnings(target): the project's warning set, fatal when WORKQ_WERROR.
function(workq_warnings target)
  if(MSVC)
    # /W4 is MSVC's -Wall -Wextra. C4200 (flexible array member) is C99 and
    # intended; C4996 would push non-portable *_s functions on POSIX code.
    # C4244/C4267 (narrowing conversions) are -Wconversion territory, which
    # the GCC set does not enable either: both compilers hold the code to
    # the same rules.
    target_compile_options(${target} PRIVATE /W4 /wd4200 /wd4996 /wd4244 /wd4267)
    if(WORKQ_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  else()
    target_compile_options(${target} PRIVATE
      -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
      -Wformat=2 -Wundef)
    if(CMAKE_C_COMPILER_ID MATCHES "Clang")
      # The sanitizer and fuzzing builds use clang; hold it to GCC's rules.
      # -Wformat=2 includes -Wformat-nonliteral, which GCC does not apply to
      # a wrapper that passes its own format and va_list on (a log
      # function's vsnprintf) and clang does. -Wfor-loop-analysis (clang's
      # -Wall) objects to an argument loop that steps over an option's value
      # on purpose; GCC has no such warning.
      target_compile_options(${target} PRIVATE -Wno-format-nonliteral -Wno-for-loop-analysis)
    endif()
    if(WORKQ_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
