// One direction of the separable Gaussian, mirrored at the edges like OpenCV's BORDER_REFLECT
// (fedcba|abcdef|fedcba). First pass: weighted image and weight in `num`, plain image in
// `plain`. Second pass: the same sums along the other axis of those two.
uniform sampler2D src_num;    // first pass: the image
uniform sampler2D src_plain;  // first pass: the weight
uniform bool first;
uniform ivec2 dir;
uniform int taps;
uniform float kernel[32];
layout(location = 0) out vec4 num;
layout(location = 1) out vec4 plain;

int mirrored(int i, int n) {  // OpenCV BORDER_REFLECT: the edge pixel is repeated
    if (i < 0) i = -i - 1;
    if (i >= n) i = 2 * n - i - 1;
    return clamp(i, 0, n - 1);
}

void main() {
    ivec2 n = textureSize(src_num, 0);
    ivec2 p = ivec2(gl_FragCoord.xy);
    int r = taps / 2;
    vec4 acc_num = vec4(0.0);
    vec4 acc_plain = vec4(0.0);
    for (int i = 0; i < taps; ++i) {
        ivec2 q = p + dir * (i - r);
        q = ivec2(mirrored(q.x, n.x), mirrored(q.y, n.y));
        float k = kernel[i];
        if (first) {
            vec3 img = texelFetch(src_num, q, 0).rgb;
            float w = texelFetch(src_plain, q, 0).r;
            acc_num += k * vec4(img * w, w);
            acc_plain += k * vec4(img, 0.0);
        } else {
            acc_num += k * texelFetch(src_num, q, 0);
            acc_plain += k * texelFetch(src_plain, q, 0);
        }
    }
    num = acc_num;
    plain = acc_plain;
}
