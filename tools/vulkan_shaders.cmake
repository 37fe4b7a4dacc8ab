# Vulkan compute shaders: every shaders/vulkan/*.comp, plus the variants of
# shaders/vulkan/variants.cmake (the same source with other -D defines), is
# compiled to SPIR-V by glslangValidator (one custom command per shader, with
# a depfile for its #includes), checked by spirv-val and embedded into the
# library as the table ng_vulkan_spirv (tools/embed_spirv.cmake).
# Sets NG_VK_SPIRV_C, the generated source to add to the library.
find_program(GLSLANG_VALIDATOR glslangValidator REQUIRED DOC "Debian: glslang-tools")
find_program(SPIRV_VAL spirv-val REQUIRED DOC "Debian: spirv-tools")

set(NG_VK_SHADER_DIR ${CMAKE_SOURCE_DIR}/shaders/vulkan)
set(NG_VK_SPV_DIR ${CMAKE_BINARY_DIR}/gen/spirv)
file(MAKE_DIRECTORY ${NG_VK_SPV_DIR})
file(GLOB NG_VK_COMP CONFIGURE_DEPENDS ${NG_VK_SHADER_DIR}/*.comp)
file(GLOB NG_VK_GLSL CONFIGURE_DEPENDS ${NG_VK_SHADER_DIR}/*.glsl)

# name|source|DEFINE=V,DEFINE=V entries
set(NG_VK_VARIANTS "")
foreach(src ${NG_VK_COMP})
  get_filename_component(stem ${src} NAME_WE)
  list(APPEND NG_VK_VARIANTS "${stem}|${stem}.comp|")
endforeach()
include(${NG_VK_SHADER_DIR}/variants.cmake OPTIONAL)

set(NG_VK_SPV_FILES "")
foreach(v ${NG_VK_VARIANTS})
  string(REPLACE "|" ";" parts "${v}")
  list(LENGTH parts nparts)
  list(GET parts 0 name)
  list(GET parts 1 src)
  set(defs "")
  if(nparts GREATER 2)
    list(GET parts 2 deflist)
    if(deflist)
      string(REPLACE "," ";" deflist "${deflist}")
      foreach(d ${deflist})
        list(APPEND defs "-D${d}")
      endforeach()
    endif()
  endif()
  set(spv ${NG_VK_SPV_DIR}/${name}.spv)
  add_custom_command(
    OUTPUT ${spv}
    COMMAND ${GLSLANG_VALIDATOR} --quiet -V --target-env vulkan1.1 -S comp -I${NG_VK_SHADER_DIR} ${defs}
            --depfile ${spv}.d -o ${spv} ${NG_VK_SHADER_DIR}/${src}
    COMMAND ${SPIRV_VAL} --target-env vulkan1.1 ${spv}
    DEPENDS ${NG_VK_SHADER_DIR}/${src} ${NG_VK_GLSL}
    DEPFILE ${spv}.d
    COMMENT "glslang ${name}.spv"
    VERBATIM)
  list(APPEND NG_VK_SPV_FILES ${spv})
endforeach()

set(NG_VK_SPIRV_C ${CMAKE_BINARY_DIR}/gen/vulkan_spirv.c)
add_custom_command(
  OUTPUT ${NG_VK_SPIRV_C}
  COMMAND ${CMAKE_COMMAND} -DOUT=${NG_VK_SPIRV_C} -DSYMBOL=ng_vulkan_spirv -DDIR=${NG_VK_SPV_DIR}
          -P ${CMAKE_SOURCE_DIR}/tools/embed_spirv.cmake
  DEPENDS ${NG_VK_SPV_FILES} ${CMAKE_SOURCE_DIR}/tools/embed_spirv.cmake
  COMMENT "embedding SPIR-V")
