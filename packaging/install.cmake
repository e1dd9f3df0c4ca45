# Install rules and the Debian package (CPack DEB) for Mitoseg Studio.
# Included from the top-level CMakeLists.txt after the targets exist:
#   include(${PROJECT_SOURCE_DIR}/packaging/install.cmake)
# Build a package with:  cmake --build BUILD && (cd BUILD && cpack -G DEB)
include(GNUInstallDirs)

# Programs: the CLI always, the studio when the GUI is built.
install(TARGETS mitoseg RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(PROGRAMS "${PROJECT_SOURCE_DIR}/packaging/mitoseg-launch" DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
if(TARGET mitoseg-studio)
  install(TARGETS mitoseg-studio RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
endif()

# Shipped models (resources/models/*) -> share/mitoseg/models. The folder may be empty or absent
# in a checkout without trained weights; nothing is installed then.
set(_mitoseg_models "${PROJECT_SOURCE_DIR}/resources/models")
if(IS_DIRECTORY "${_mitoseg_models}")
  install(DIRECTORY "${_mitoseg_models}/" DESTINATION ${CMAKE_INSTALL_DATADIR}/mitoseg/models
          COMPONENT runtime PATTERN ".gitignore" EXCLUDE PATTERN "README*" EXCLUDE)
endif()

# Desktop integration: menu entry and the scalable icon.
install(FILES "${PROJECT_SOURCE_DIR}/resources/mitoseg-studio.desktop"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT runtime)
install(FILES "${PROJECT_SOURCE_DIR}/resources/mitoseg-studio.svg"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps COMPONENT runtime)
install(FILES "${PROJECT_SOURCE_DIR}/resources/mitoseg-studio.metainfo.xml"
        DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo COMPONENT runtime)

# ---- CPack: one Debian package, mitoseg-studio ----
set(CPACK_PACKAGE_NAME "mitoseg-studio")
set(CPACK_PACKAGE_VENDOR "Mitoseg Studio")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "segment mitochondria in electron-microscopy stacks")
set(CPACK_PACKAGE_DESCRIPTION
  "Mitoseg Studio segments mitochondria in electron-microscopy TIFF stacks with a U-Net\n\
(LibTorch, CPU), lets biologists correct the prediction with a brush, reports IoU, renders\n\
3D surfaces (VTK) and exports masks and meshes. The package holds the desktop application\n\
mitoseg-studio and the command-line tool mitoseg (train, predict, evaluate, mesh, demo).")
set(CPACK_PACKAGE_CONTACT "Mitoseg Studio maintainers <maintainers@mitoseg.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
# Runtime libraries, named after the Debian 12 packages that ship the sonames we link
# (checked with dpkg -S). dpkg-shlibdeps adds whatever else the binaries need (MPI, libgomp, libc).
set(_mitoseg_deps
  "libtorch1.13 (>= 1.13.1)"
  "libvtk9.1 (>= 9.1.0)"
  "libtiff6 (>= 4.5.0)")
if(TARGET mitoseg-studio)
  list(PREPEND _mitoseg_deps
    "libqt6widgets6 (>= 6.4.2)" "libqt6opengl6 (>= 6.4.2)" "libqt6openglwidgets6 (>= 6.4.2)"
    "libqt6charts6 (>= 6.4.2)")
  # VTK renders through GLX; Mesa's drivers give software rendering where there is no GPU driver.
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libgl1-mesa-dri")
endif()
list(JOIN _mitoseg_deps ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
find_program(_mitoseg_shlibdeps dpkg-shlibdeps)
if(_mitoseg_shlibdeps)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://mitoseg.invalid/")
include(CPack)
