# Chat templates: a Jinja2 interpreter for the templates GGUF files and
# Hugging Face tokenizer configs carry (src/text/chat_template.h). Its own
# library inside text/ (included by src/text/CMakeLists.txt); depends on
# absl, Boost.JSON, fmt and the headers of src/common/ only.

set(chat_template_dir ${CMAKE_CURRENT_LIST_DIR})

add_library(inferd_chat_template STATIC
  ${chat_template_dir}/chat_template.cc
  ${chat_template_dir}/jinja_builtins.cc
  ${chat_template_dir}/jinja_filters.cc
  ${chat_template_dir}/jinja_interpreter.cc
  ${chat_template_dir}/jinja_lexer.cc
  ${chat_template_dir}/jinja_expression_parser.cc
  ${chat_template_dir}/jinja_parser.cc
  ${chat_template_dir}/jinja_string.cc
  ${chat_template_dir}/jinja_value.cc)
target_include_directories(inferd_chat_template PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(inferd_chat_template
  PUBLIC inferd_text absl::status absl::statusor absl::strings absl::synchronization
         absl::time Boost::json fmt::fmt
  PRIVATE inferd_warnings)

# Goldens: every template in tests/data/chat_templates rendered by real
# Jinja2 (python3-jinja2) in Hugging Face's environment.
set(chat_template_data ${PROJECT_SOURCE_DIR}/tests/data/chat_templates)
set(chat_template_goldens ${CMAKE_BINARY_DIR}/chat_templates/goldens.json)
file(GLOB chat_template_sources CONFIGURE_DEPENDS ${chat_template_data}/*.jinja)
add_custom_command(
  OUTPUT ${chat_template_goldens}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/chat_templates
  COMMAND /usr/bin/python3 ${chat_template_data}/render_reference.py
          --out ${chat_template_goldens}
  DEPENDS ${chat_template_data}/render_reference.py
          ${chat_template_data}/templates.json
          ${chat_template_data}/conversations.json
          ${chat_template_sources}
  COMMENT "Rendering chat template goldens with Jinja2"
  VERBATIM)
add_custom_target(inferd_chat_template_goldens DEPENDS ${chat_template_goldens})

add_executable(inferd_chat_template_test
  ${chat_template_dir}/chat_template_test.cc
  ${chat_template_dir}/chat_template_golden_test.cc
  ${chat_template_dir}/jinja_value_test.cc)
add_dependencies(inferd_chat_template_test inferd_chat_template_goldens)
target_compile_definitions(inferd_chat_template_test PRIVATE
  INFERD_CHAT_TEMPLATE_GOLDENS="${chat_template_goldens}"
  INFERD_CHAT_TEMPLATE_DATA="${chat_template_data}")
target_link_libraries(inferd_chat_template_test PRIVATE inferd_chat_template
                      GTest::gtest_main GTest::gmock inferd_warnings)
add_test(NAME chat_template_unit COMMAND inferd_chat_template_test
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
