# pacscan_version(OUT FALLBACK): the package and --version string.
#   tag v0.2.0 on HEAD            -> 0.2.0
#   12 commits after tag v0.2.0    -> 0.2.0+12.g1a2b3c4
#   no v* tag (FALLBACK 0.1.0)     -> 0.1.0+g1a2b3c4
#   uncommitted changes            -> ... .dirty (as of the last configure)
#   no git checkout                -> FALLBACK
# Every form is a valid Debian version. CMake re-runs when HEAD moves (a commit, a checkout).
function(pacscan_version out fallback)
  set(v "${fallback}")
  find_package(Git QUIET)
  if(GIT_FOUND)
    execute_process(COMMAND ${GIT_EXECUTABLE} describe --tags --always --dirty --match "v[0-9]*"
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} OUTPUT_VARIABLE d RESULT_VARIABLE rc
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(rc EQUAL 0 AND d)
      set(dirty "")
      if(d MATCHES "-dirty$")
        set(dirty ".dirty")
        string(REGEX REPLACE "-dirty$" "" d "${d}")
      endif()
      if(d MATCHES "^v([0-9][0-9A-Za-z.~]*)-([0-9]+)-g([0-9a-f]+)$")
        set(v "${CMAKE_MATCH_1}+${CMAKE_MATCH_2}.g${CMAKE_MATCH_3}")
      elseif(d MATCHES "^v([0-9][0-9A-Za-z.~]*)$")
        set(v "${CMAKE_MATCH_1}")
      elseif(d MATCHES "^([0-9a-f]+)$")
        set(v "${fallback}+g${CMAKE_MATCH_1}")
      endif()
      if(dirty)
        if(v MATCHES "\\+")
          set(v "${v}${dirty}")
        else()
          set(v "${v}+dirty")
        endif()
      endif()
      execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --path-format=absolute --git-path logs/HEAD
                      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} OUTPUT_VARIABLE headlog
                      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(headlog AND EXISTS "${headlog}")
        set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${headlog}")
      endif()
    endif()
  endif()
  set(${out} "${v}" PARENT_SCOPE)
endfunction()
