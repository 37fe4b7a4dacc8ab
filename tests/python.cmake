# Python-driven tests: ONNX node conformance cases, end-to-end models against
# onnxruntime, and bad input fed to nnrun. Included from tests/CMakeLists.txt.
#
# case_runner is always built; the tests need NNGPU_PYTHON, a Python with the
# packages of tests/requirements.txt:
#   cmake -DNNGPU_PYTHON=/path/to/venv/bin/python ...

add_executable(case_runner ${CMAKE_CURRENT_SOURCE_DIR}/case_runner.c)
target_compile_options(case_runner PRIVATE ${NNGPU_WARNINGS})
target_compile_definitions(case_runner PRIVATE _GNU_SOURCE)
target_include_directories(case_runner PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(case_runner PRIVATE nngpu)

set(NNGPU_PYTHON "" CACHE FILEPATH
    "Python with numpy, onnx, onnxruntime, scikit-learn (tests/requirements.txt); empty: no Python tests")

if(NNGPU_PYTHON)
  set(CASES_DIR ${CMAKE_BINARY_DIR}/cases)
  set(PY_TESTS ${CMAKE_CURRENT_SOURCE_DIR})

  # --- fixtures: generate the cases -------------------------------------------
  add_test(NAME gen_node_cases
           COMMAND ${NNGPU_PYTHON} ${PY_TESTS}/gen_node_cases.py ${CASES_DIR}/node
                   --ops-def ${CMAKE_SOURCE_DIR}/src/graph/ops.def)
  set_tests_properties(gen_node_cases PROPERTIES FIXTURES_SETUP node_cases TIMEOUT 300)

  add_test(NAME gen_model_cases
           COMMAND ${NNGPU_PYTHON} ${PY_TESTS}/make_models.py ${CASES_DIR}/models)
  set_tests_properties(gen_model_cases PROPERTIES FIXTURES_SETUP model_cases TIMEOUT 300)

  # --- node conformance: every supported op's ONNX cases on each device ------
  foreach(dev cpu opencl:0 vulkan:0)
    string(REPLACE ":" "" dev_name ${dev})
    add_test(NAME onnx_node_${dev_name}
             COMMAND case_runner --device ${dev} --quiet ${CASES_DIR}/node)
    set_tests_properties(onnx_node_${dev_name} PROPERTIES
                         FIXTURES_REQUIRED node_cases TIMEOUT 900)

    add_test(NAME onnx_models_${dev_name}
             COMMAND case_runner --device ${dev} --max-rel-err 1e-4 --repeat 3 ${CASES_DIR}/models)
    set_tests_properties(onnx_models_${dev_name} PROPERTIES
                         FIXTURES_REQUIRED model_cases TIMEOUT 900)
  endforeach()

  # --- quantized ONNX against onnxruntime: QDQ / QOperator INT8 models, int4/int8
  # DequantizeLinear weights, weight-only --weight-bits 4/8
  foreach(dev cpu opencl:0 vulkan:0)
    string(REPLACE ":" "" dev_name ${dev})
    add_test(NAME quant_onnx_${dev_name}
             COMMAND ${NNGPU_PYTHON} ${PY_TESTS}/quant_onnx.py $<TARGET_FILE:nnrun>
                     --devices ${dev} --workdir ${CMAKE_BINARY_DIR}/quant_onnx/${dev_name})
    set_tests_properties(quant_onnx_${dev_name} PROPERTIES TIMEOUT 900)
  endforeach()

  # --- FP16: the models, the EfficientNet zoo model and the digits model at --precision fp16 vs fp32 on vulkan:0
  add_test(NAME fp16_models_vulkan0
           COMMAND ${NNGPU_PYTHON} ${PY_TESTS}/fp16_models.py $<TARGET_FILE:nnrun>
                   --device vulkan:0 --workdir ${CMAKE_BINARY_DIR}/fp16_models
                   --digits ${CMAKE_SOURCE_DIR}/models --zoo efficientnet)
  set_tests_properties(fp16_models_vulkan0 PROPERTIES TIMEOUT 600)
  # the same with Vulkan's half-arithmetic shaders (_h16), off by default on lavapipe
  # (the 224x224 MobileNetV2 in half storage above covers the size; not again here)
  add_test(NAME fp16_models_vulkan0_math
           COMMAND ${NNGPU_PYTHON} ${PY_TESTS}/fp16_models.py $<TARGET_FILE:nnrun>
                   --device vulkan:0 --workdir ${CMAKE_BINARY_DIR}/fp16_models
                   --digits ${CMAKE_SOURCE_DIR}/models --no-224)
  set_tests_properties(fp16_models_vulkan0_math PROPERTIES TIMEOUT 600
                       ENVIRONMENT NNGPU_VULKAN_FP16_MATH=1)
  # opencl:0: half-storage kernels through NNGPU_OPENCL_FP16_STORAGE=1 (the script sets it);
  # the 224x224 MobileNetV2 only on vulkan:0 (its guard's reference run costs minutes here)
  add_test(NAME fp16_models_opencl0
           COMMAND ${NNGPU_PYTHON} ${PY_TESTS}/fp16_models.py $<TARGET_FILE:nnrun>
                   --device opencl:0 --workdir ${CMAKE_BINARY_DIR}/fp16_models
                   --digits ${CMAKE_SOURCE_DIR}/models --no-224)
  set_tests_properties(fp16_models_opencl0 PROPERTIES TIMEOUT 600)

  # --- bad input: nnrun must fail cleanly, with one error line, no partial output
  add_test(NAME nnrun_bad_input
           COMMAND ${NNGPU_PYTHON} ${PY_TESTS}/bad_input.py $<TARGET_FILE:nnrun>
                   --model ${CMAKE_SOURCE_DIR}/models/digits_cnn.onnx
                   --input ${CMAKE_SOURCE_DIR}/models/digits_test_x.npy
                   --workdir ${CMAKE_BINARY_DIR}/bad_input)
  set_tests_properties(nnrun_bad_input PROPERTIES TIMEOUT 600)

  # --- post-training INT8: digits accuracy per device, end-to-end models vs fp32
  add_test(NAME quant_ptq
           COMMAND ${NNGPU_PYTHON} ${PY_TESTS}/quant_ptq.py $<TARGET_FILE:nnrun>
                   --models-dir ${CMAKE_SOURCE_DIR}/models)
  set_tests_properties(quant_ptq PROPERTIES TIMEOUT 900)
endif()
