# Install layout and the Debian package:
#   cmake --build build --target package   ->   build/pacscan_<version>_<arch>.deb
# Paths are relative to the prefix: /usr in the package (CPack's default for DEB), /usr/local for
# `cmake --install`. The binary finds its data files at <its dir>/../share/pacscan either way.
include(GNUInstallDirs)

install(TARGETS pacscan RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Data files: the binary prefers these installed copies to the ones built into it.
install(FILES ${PACSCAN_DATA_FILES} DESTINATION ${CMAKE_INSTALL_DATADIR}/pacscan)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/bash-completion/pacscan
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# Compressed man page and changelog (gzip -n: no name or time stamp, reproducible).
find_program(GZIP gzip REQUIRED)
set(PACSCAN_PKG_DIR ${CMAKE_BINARY_DIR}/packaging)
# The changelog's newest entry carries this build's version and its commit's date.
set(PACSCAN_CHANGELOG_DATE "Mon, 30 Nov 2026 00:00:00 +0000")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%aD WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE d RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0 AND d)
    set(PACSCAN_CHANGELOG_DATE "${d}")
  endif()
endif()
configure_file(${CMAKE_SOURCE_DIR}/packaging/changelog.in ${PACSCAN_PKG_DIR}/changelog @ONLY)
add_custom_command(
  OUTPUT ${PACSCAN_PKG_DIR}/changelog.gz ${PACSCAN_PKG_DIR}/pacscan.1.gz
  COMMAND ${GZIP} -9nc ${PACSCAN_PKG_DIR}/changelog > ${PACSCAN_PKG_DIR}/changelog.gz
  COMMAND ${GZIP} -9nc ${CMAKE_SOURCE_DIR}/docs/pacscan.1 > ${PACSCAN_PKG_DIR}/pacscan.1.gz
  DEPENDS ${PACSCAN_PKG_DIR}/changelog ${CMAKE_SOURCE_DIR}/docs/pacscan.1
  COMMENT "Compressing the man page and changelog")
add_custom_target(pacscan_docs ALL DEPENDS ${PACSCAN_PKG_DIR}/changelog.gz ${PACSCAN_PKG_DIR}/pacscan.1.gz)
install(FILES ${PACSCAN_PKG_DIR}/pacscan.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PACSCAN_PKG_DIR}/changelog.gz ${CMAKE_SOURCE_DIR}/packaging/copyright
              ${CMAKE_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/pacscan)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pacscan)
set(CPACK_PACKAGE_VERSION ${PACSCAN_FULL_VERSION})
set(CPACK_PACKAGE_VENDOR "pacscan developers")
set(CPACK_PACKAGE_CONTACT "pacscan developers <pacscan@example.org>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # pacscan_<version>_<arch>.deb
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Runtime libraries from dpkg-shlibdeps; the OUI registry is read at run time (MAC vendors).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS ieee-data)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# CPack indents the long description's lines itself.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"DICOM/PACS network exposure scanner for imaging networks
pacscan finds DICOM and imaging web services on a network (ARP and TCP
discovery, port sweep), probes them gently with DCMTK (association, AE title
policy, C-ECHO, negotiated services, null-match queries, TLS, user identity,
Orthanc and DICOMweb), judges the results against a rules catalogue mapped to
the HHS 405(d) HICP practices, and writes Markdown, HTML, CSV, SARIF, JSON and
ticket reports. It also finds DICOM traffic in packet captures, sending
nothing. Every network permit passes one gate: out of scope, excluded or
do-not-probe addresses get no packet.")
include(CPack)
