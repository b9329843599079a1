// The mask-aware blur's result: blur(I w) / blur(w), with a little plain blur where no
// background is near (FILL_EPS in app/compositing/spec.py).
uniform sampler2D num;
uniform sampler2D plain;
uniform float eps;
out vec4 color;
void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec4 a = texelFetch(num, p, 0);
    vec3 b = texelFetch(plain, p, 0).rgb;
    color = vec4((a.rgb + eps * b) / (a.a + eps), 1.0);
}
