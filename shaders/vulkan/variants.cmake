# Shader variants: the same source with other defines (tools/vulkan_shaders.cmake).
# _f16: float tensors stored as float16_t (storage.glsl), arithmetic in float32.
# _h16: the same storage, elementwise math and epilogues in float16_t, dot
#       products in float16_t partial sums of a few terms added in float32.
foreach(stem eltwise conv gemm pool data softmax winograd)
  list(APPEND NG_VK_VARIANTS "${stem}_f16|${stem}.comp|NG_F16=1")
  list(APPEND NG_VK_VARIANTS "${stem}_h16|${stem}.comp|NG_F16=1,NG_F16_MATH=1")
endforeach()
# _i8: 8-bit tensors read and written through 8-bit storage views (qbytes.glsl).
foreach(stem qgemm qconv)
  list(APPEND NG_VK_VARIANTS "${stem}_i8|${stem}.comp|NG_I8=1")
endforeach()
# _dot: the integer dot-product path (qbytes.glsl ng_dot4, main_dot), with and without 8-bit
# storage views; only for devices with shaderIntegerDotProduct.
foreach(stem qgemm qconv)
  list(APPEND NG_VK_VARIANTS "${stem}_dot|${stem}.comp|NG_IDOT=1" "${stem}_i8_dot|${stem}.comp|NG_I8=1,NG_IDOT=1")
endforeach()
# _v4: the recurrence with 4 hidden units per invocation as a vec4 (CPU devices: lavapipe).
list(APPEND NG_VK_VARIANTS "rnn_v4|rnn.comp|NG_RNN_VEC4=1")
